package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hystrix's execution rules (reference/hystrix.md §2), one test per rule, each run through the
 * three ways a {@link Command} can be run: {@code execute()}, {@code queue().get()} and
 * {@code executeAsync().join()}.
 */
class HystrixBehaviourTest {

  /** How a test runs its command. */
  enum Path {
    EXECUTE(c -> c.execute()),
    FUTURE(c -> {
      try {
        return c.queue().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }),
    COMPLETABLE_FUTURE(c -> {
      try {
        return c.executeAsync().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    private final Function<Command<String>, String> run;

    Path(Function<Command<String>, String> run) {
      this.run = run;
    }

    String run(Command<String> c) {
      return run.apply(c);
    }

    private static RuntimeException rethrow(Throwable t) {
      if (t instanceof RuntimeException) {
        return (RuntimeException) t;
      }
      if (t instanceof Error) {
        throw (Error) t;
      }
      return new IllegalStateException(t);
    }
  }

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final AtomicInteger runs = new AtomicInteger();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  /** A command whose run and fallback the test chooses. */
  private final class Probe extends Command<String> {
    private final RunBody body;
    private final RunBody fallbackBody;
    private final String key;

    Probe(String name, CommandConfig config, RunBody body, RunBody fallback, String key) {
      super(runtime, name, config);
      this.body = body;
      this.fallbackBody = fallback;
      this.key = key;
    }

    @Override
    protected String run() throws Exception {
      runs.incrementAndGet();
      return body.get();
    }

    @Override
    protected String fallback() throws Exception {
      if (fallbackBody == null) {
        return super.fallback();
      }
      return fallbackBody.get();
    }

    @Override
    protected String cacheKey() {
      return key;
    }
  }

  @FunctionalInterface
  interface RunBody {
    String get() throws Exception;
  }

  private static CommandConfig.Builder config() {
    return CommandConfig.builder().timeoutMillis(2_000);
  }

  private Probe probe(String name, CommandConfig c, RunBody body, RunBody fallback) {
    return new Probe(name, c, body, fallback, null);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void successIsMarkedOnTheAnswerAndNoFallbackRuns(Path path) {
    Probe p = probe("success", config().build(), () -> "value", () -> "fallback");
    assertThat(path.run(p)).isEqualTo("value");
    assertThat(p.events()).containsExactly(EventType.SUCCESS);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aCommandInstanceRunsOnlyOnce(Path path) {
    Probe p = probe("once", config().build(), () -> "value", null);
    path.run(p);
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already ran");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anExceptionFromRunIsAFailureAndTheFallbackAnswers(Path path) {
    Probe p = probe("failure", config().build(), () -> {
      throw new IllegalStateException("boom");
    }, () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.FAILURE, EventType.FALLBACK_SUCCESS);
    assertThat(p.executionException()).hasMessage("boom");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void theDefaultFallbackIsMissingAndTheCallerGetsAnExceptionSayingSo(Path path) {
    Probe p = probe("missing", config().build(), () -> {
      throw new IllegalStateException("boom");
    }, null);
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(CommandException.class)
        .hasMessage("missing failed and no fallback available.")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(p.events()).containsExactlyInAnyOrder(EventType.FAILURE,
        EventType.FALLBACK_MISSING, EventType.EXCEPTION_THROWN);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aBadRequestIsRethrownWithoutFallbackAndNotCountedAgainstHealth(Path path) {
    Probe p = probe("bad", config().build(), () -> {
      throw new BadRequestException("invalid id");
    }, () -> "fallback");
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(BadRequestException.class)
        .hasMessage("invalid id");
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.BAD_REQUEST, EventType.EXCEPTION_THROWN);
    assertThat(runtime.snapshot("bad").health().total()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aFallbackThatThrowsIsAFallbackFailure(Path path) {
    Probe p = probe("fallbackFails", config().build(), () -> {
      throw new IllegalStateException("boom");
    }, () -> {
      throw new IllegalArgumentException("fallback broke");
    });
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(CommandException.class)
        .hasMessage("fallbackFails failed and fallback failed.")
        .satisfies(e -> assertThat(((CommandException) e).fallbackFailure())
            .hasMessage("fallback broke"));
    assertThat(p.events()).containsExactlyInAnyOrder(EventType.FAILURE,
        EventType.FALLBACK_FAILURE, EventType.EXCEPTION_THROWN);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void withFallbackDisabledTheCallerGetsTheFailureAndNoFallbackRuns(Path path) {
    AtomicInteger fallbacks = new AtomicInteger();
    Probe p = probe("disabled", config().fallbackEnabled(false).build(), () -> {
      throw new IllegalStateException("boom");
    }, () -> {
      fallbacks.incrementAndGet();
      return "fallback";
    });
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(CommandException.class)
        .hasMessage("disabled failed and fallback disabled.");
    assertThat(fallbacks).hasValue(0);
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.FAILURE, EventType.EXCEPTION_THROWN);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anUnrecoverableErrorSkipsTheFallback(Path path) {
    Probe p = probe("fatal", config().build(), () -> {
      throw new StackOverflowError("deep");
    }, () -> "fallback");
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(CommandException.class)
        .hasMessage("fatal failed and encountered an unrecoverable error.")
        .hasCauseInstanceOf(StackOverflowError.class);
    assertThat(p.isResponseFromFallback()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anOrdinaryErrorIsRecoveredByTheFallback(Path path) {
    Probe p = probe("assertion", config().build(), () -> {
      throw new AssertionError("not fatal");
    }, () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anOpenCircuitShortCircuitsToTheFallbackWithoutRunning(Path path) {
    CommandConfig c = config().forceOpen(true).build();
    Probe p = probe("open", c, () -> "value", () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
    assertThat(runs).hasValue(0);
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.SHORT_CIRCUITED, EventType.FALLBACK_SUCCESS);
    assertThat(p.isCircuitBreakerOpen()).isTrue();
    Probe q = probe("open", c, () -> "value", null);
    assertThatThrownBy(() -> path.run(q)).hasMessage("open short-circuited and no fallback "
        + "available.");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aTimeoutMarksTimeoutAndTheFallbackAnswers(Path path) {
    Probe p = probe("slow", config().timeoutMillis(100).build(), () -> {
      Thread.sleep(5_000);
      return "late";
    }, () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.TIMEOUT, EventType.FALLBACK_SUCCESS);
    assertThat(p.failureKind()).isEqualTo(FailureKind.TIMED_OUT);
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aFullSemaphoreRejectsToTheFallback(Path path) throws Exception {
    CommandConfig c = config().isolation(Isolation.SEMAPHORE).maxConcurrentRequests(1).build();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() ->
        probe("semaphore", c, () -> {
          inside.countDown();
          release.await();
          return "held";
        }, null).execute());
    assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
    Probe p = probe("semaphore", c, () -> "value", () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.SEMAPHORE_REJECTED, EventType.FALLBACK_SUCCESS);
    release.countDown();
    assertThat(holder.get(5, TimeUnit.SECONDS)).isEqualTo("held");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aFullThreadPoolRejectsToTheFallback(Path path) throws Exception {
    runtime.configureThreadPool("tiny", ThreadPoolConfig.builder().coreSize(1).build());
    CommandConfig c = config().threadPoolKey("tiny").build();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> holder = probe("pool", c, () -> {
      inside.countDown();
      release.await();
      return "held";
    }, null).executeAsync();
    assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
    Probe p = probe("pool", c, () -> "value", () -> "fallback");
    assertThat(path.run(p)).isEqualTo("fallback");
    assertThat(p.events()).containsExactlyInAnyOrder(
        EventType.THREAD_POOL_REJECTED, EventType.FALLBACK_SUCCESS);
    release.countDown();
    assertThat(holder.get(5, TimeUnit.SECONDS)).isEqualTo("held");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aFullFallbackSemaphoreRejectsTheFallback(Path path) throws Exception {
    CommandConfig c = config().isolation(Isolation.SEMAPHORE)
        .fallbackMaxConcurrentRequests(1).build();
    CountDownLatch inFallback = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() ->
        probe("fallbackFull", c, () -> {
          throw new IllegalStateException("boom");
        }, () -> {
          inFallback.countDown();
          release.await();
          return "held";
        }).execute());
    assertThat(inFallback.await(5, TimeUnit.SECONDS)).isTrue();
    Probe p = probe("fallbackFull", c, () -> {
      throw new IllegalStateException("boom");
    }, () -> "fallback");
    assertThatThrownBy(() -> path.run(p)).isInstanceOf(CommandException.class)
        .hasMessage("fallbackFull failed and fallback execution rejected.");
    assertThat(p.events()).containsExactlyInAnyOrder(EventType.FAILURE,
        EventType.FALLBACK_REJECTION, EventType.EXCEPTION_THROWN);
    release.countDown();
    assertThat(holder.get(5, TimeUnit.SECONDS)).isEqualTo("held");
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aCacheHitSkipsTheCircuitAndTheExecution(Path path) {
    try (RequestContext ctx = RequestContext.open()) {
      CommandConfig c = config().build();
      assertThat(path.run(new Probe("cached", c, () -> "value", null, "k"))).isEqualTo("value");
      runtime.configure("cached", config().forceOpen(true).build());
      Probe hit = new Probe("cached", config().forceOpen(true).build(), () -> "again", null, "k");
      assertThat(path.run(hit)).isEqualTo("value");
      assertThat(hit.events()).containsExactly(EventType.RESPONSE_FROM_CACHE);
      assertThat(runs).hasValue(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void healthCountsLeaveOutShortCircuitsBadRequestsAndCacheHits(Path path) {
    CommandConfig c = config().requestVolumeThreshold(1_000).build();
    path.run(probe("health", c, () -> "value", null));
    path.run(probe("health", c, () -> {
      throw new IllegalStateException("boom");
    }, () -> "fallback"));
    try {
      path.run(probe("health", c, () -> {
        throw new BadRequestException("bad");
      }, null));
    } catch (BadRequestException expected) {
      // counted as BAD_REQUEST only
    }
    runtime.configure("health", config().forceOpen(true).build());
    path.run(probe("health", config().forceOpen(true).build(), () -> "value", () -> "fb"));
    assertThat(runtime.snapshot("health").health().total()).isEqualTo(2);
    assertThat(runtime.snapshot("health").health().errors()).isEqualTo(1);
    assertThat(runtime.snapshot("health").health().errorPercentage()).isEqualTo(50);
    assertThat(runtime.snapshot("health").rollingCount(EventType.EXCEPTION_THROWN)).isEqualTo(1);
  }
}
