package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.event.EventType;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Hystrix-style way to call: a subclass of {@link Command}. */
class CommandTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private final class Greeting extends Command<String> {
    private final String name;
    private final boolean broken;

    Greeting(String name, boolean broken) {
      super(runtime, "Greeting", CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
      this.name = name;
      this.broken = broken;
    }

    @Override
    protected String run() {
      if (broken) {
        throw new IllegalStateException("greeter down");
      }
      return "Hello " + name;
    }

    @Override
    protected String fallback() {
      return "Hello stranger (" + failureKind() + ": " + executionException().getMessage() + ")";
    }
  }

  private final class NoFallback extends Command<String> {
    NoFallback() {
      super(runtime, "NoFallback", null);
    }

    @Override
    protected String run() throws Exception {
      throw new java.io.IOException("connection refused");
    }
  }

  @Test
  void executeReturnsWhatRunReturns() {
    Greeting g = new Greeting("World", false);
    assertThat(g.execute()).isEqualTo("Hello World");
    assertThat(g.isSuccessfulExecution()).isTrue();
    assertThat(g.isResponseFromFallback()).isFalse();
    assertThat(g.events()).containsExactly(EventType.SUCCESS);
    assertThat(g.executionTimeMillis()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void fallbackAnswersWhenRunThrowsAndSeesWhy() {
    Greeting g = new Greeting("World", true);
    assertThat(g.execute()).isEqualTo("Hello stranger (FAILED: greeter down)");
    assertThat(g.isFailedExecution()).isTrue();
    assertThat(g.isResponseFromFallback()).isTrue();
    assertThat(g.events()).containsExactlyInAnyOrder(
        EventType.FAILURE, EventType.FALLBACK_SUCCESS);
  }

  @Test
  void withoutFallbackTheCallerGetsACommandExceptionWithTheCause() {
    NoFallback c = new NoFallback();
    assertThatThrownBy(c::execute)
        .isInstanceOf(CommandException.class)
        .hasMessage("NoFallback failed and no fallback available.")
        .hasCauseInstanceOf(java.io.IOException.class);
    assertThat(c.events()).containsExactlyInAnyOrder(
        EventType.FAILURE, EventType.FALLBACK_MISSING, EventType.EXCEPTION_THROWN);
  }

  @Test
  void queueRunsOnThePoolAndAnswersThroughTheFuture() throws Exception {
    Command<String> c = new Command<>(runtime, "Queued", null) {
      @Override
      protected String run() {
        return Thread.currentThread().getName();
      }
    };
    Future<String> f = c.queue();
    assertThat(f.get(5, TimeUnit.SECONDS)).startsWith("breakwater-Queued-");
  }

  @Test
  void anInstanceRunsOnce() {
    Greeting g = new Greeting("World", false);
    g.execute();
    assertThatThrownBy(g::execute)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("command Greeting already ran; an instance runs once, "
            + "create a new one for each call");
    assertThatThrownBy(g::executeAsync).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theConfigGivenInTheConstructorApplies() {
    new Greeting("World", false).execute();
    assertThat(runtime.config("Greeting").isolation()).isEqualTo(Isolation.SEMAPHORE);
  }
}
