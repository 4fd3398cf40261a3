package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.circuit.CircuitState;
import io.breakwater.event.EventType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one-liner on the shared runtime, in the spirit of hystrix-go. */
class BreakwaterTest {

  @AfterEach
  void tearDown() {
    Breakwater.shutdown();
  }

  @Test
  void configureThenExecuteWithTheUsageStorysSettings() {
    Breakwater.configure("my_command", CommandConfig.builder()
        .timeoutMillis(1000).maxConcurrentRequests(100).errorThresholdPercentage(25)
        .isolation(Isolation.SEMAPHORE).build());

    String answer = Breakwater.execute("my_command", () -> "Hello World",
        (kind, cause) -> "fallback");

    assertThat(answer).isEqualTo("Hello World");
    CommandConfig c = Breakwater.runtime().config("my_command");
    assertThat(c.timeoutMillis()).isEqualTo(1000);
    assertThat(c.maxConcurrentRequests()).isEqualTo(100);
    assertThat(c.errorThresholdPercentage()).isEqualTo(25);
    assertThat(Breakwater.runtime().snapshot("my_command").rollingCount(EventType.SUCCESS))
        .isEqualTo(1);
  }

  @Test
  void aFailingDependencyOpensTheCircuitAndTheFallbackAnswers() {
    Breakwater.configure("flaky", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .requestVolumeThreshold(4).errorThresholdPercentage(25).build());
    for (int i = 0; i < 4; i++) {
      assertThat(Breakwater.execute("flaky", () -> {
        throw new IllegalStateException("down");
      }, Fallback.of("cached"))).isEqualTo("cached");
    }
    assertThat(Breakwater.runtime().circuitState("flaky")).isEqualTo(CircuitState.OPEN);
    assertThat(Breakwater.execute("flaky", () -> "fresh", Fallback.of("cached")))
        .isEqualTo("cached");
  }

  @Test
  void executeAsyncWrapsACompletionStage() throws Exception {
    CompletableFuture<String> f = Breakwater.executeAsync("async",
        () -> CompletableFuture.supplyAsync(() -> "later"), Fallback.of("fallback"));
    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("later");

    CompletableFuture<String> failing = Breakwater.executeAsync("async",
        () -> CompletableFuture.failedFuture(new IllegalStateException("down")),
        (kind, cause) -> kind + ":" + cause.getMessage());
    assertThat(failing.get(5, TimeUnit.SECONDS)).isEqualTo("FAILED:down");
  }

  @Test
  void aClosedRuntimeRefusesCallsClearlyAndLeaksNoPermit() {
    BreakwaterRuntime runtime = BreakwaterRuntime.create();
    runtime.configure("closing", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .maxConcurrentRequests(1).build());
    runtime.execute("closing", () -> "warm");
    runtime.close();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(
          () -> runtime.execute("closing", () -> "x"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("this Breakwater runtime is closed");
    }
    assertThat(runtime.snapshot("closing").currentConcurrency()).isZero();
    assertThatThrownBy(
        () -> runtime.execute("never-used", () -> "x"))
        .hasMessage("this Breakwater runtime is closed");
  }

  @Test
  void shutdownStopsTheSharedRuntimeAndTheNextUseStartsAFreshOne() {
    BreakwaterRuntime first = Breakwater.runtime();
    Breakwater.shutdown();
    assertThat(first.isClosed()).isTrue();
    assertThat(Breakwater.runtime()).isNotSameAs(first);
  }

  @Test
  void aMissingOrBlankCommandNameIsNamedInTheError() {
    assertThatThrownBy(
        () -> Breakwater.execute(null, () -> "x", (k, c) -> "fb"))
        .isInstanceOf(NullPointerException.class).hasMessage("command name must not be null");
    assertThatThrownBy(
        () -> Breakwater.execute(" ", () -> "x", (k, c) -> "fb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("command name must not be blank, was ' '");
  }
}
