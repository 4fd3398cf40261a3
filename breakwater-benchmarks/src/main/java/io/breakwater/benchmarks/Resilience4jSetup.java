package io.breakwater.benchmarks;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.ThreadPoolBulkhead;
import io.github.resilience4j.bulkhead.ThreadPoolBulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.decorators.Decorators;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * How resilience4j 2.4.0 is configured in each scenario. Each call goes through a decorated
 * callable built once, the way its documentation composes policies with {@link Decorators}: the
 * circuit breaker outside, the bulkhead inside. The breaker keeps its default count-based
 * window of 100 calls (failure and slow-call rates); resilience4j records no latency
 * percentiles, which Breakwater and Hystrix do.
 */
final class Resilience4jSetup {

  private Resilience4jSetup() {}

  static CircuitBreaker breaker(String name) {
    return CircuitBreaker.of(name, CircuitBreakerConfig.custom()
        .failureRateThreshold(Scenarios.ERROR_PERCENT)
        .waitDurationInOpenState(Duration.ofMillis(Scenarios.SLEEP_WINDOW_MILLIS))
        .build());
  }

  static Bulkhead bulkhead(String name) {
    return Bulkhead.of(name, BulkheadConfig.custom()
        .maxConcurrentCalls(Scenarios.SEMAPHORE_PERMITS)
        .maxWaitDuration(Duration.ZERO)
        .build());
  }

  /** A fixed pool of {@code threads} with a direct hand-off (queue capacity 0). */
  static ThreadPoolBulkhead threadPool(String name, int threads) {
    return ThreadPoolBulkhead.of(name, ThreadPoolBulkheadConfig.custom()
        .coreThreadPoolSize(threads)
        .maxThreadPoolSize(threads)
        .queueCapacity(0)
        .build());
  }

  static TimeLimiter timeLimiter(String name) {
    return TimeLimiter.of(name, TimeLimiterConfig.custom()
        .timeoutDuration(Duration.ofMillis(Scenarios.TIMEOUT_MILLIS))
        .cancelRunningFuture(true)
        .build());
  }

  /** P1 and P5: breaker around a semaphore bulkhead. */
  static Callable<String> successPath(Callable<String> dependency) {
    return Decorators.ofCallable(dependency)
        .withBulkhead(bulkhead("P1"))
        .withCircuitBreaker(breaker("P1"))
        .decorate();
  }

  /**
   * P1t. A TimeLimiter bounds a future, not a call on the caller's thread, so the answer is
   * wrapped in a completed stage and the TimeLimiter arms (and cancels) its timer on {@code
   * scheduler} around it: the timer costs what it costs elsewhere, but it cannot cut the call
   * short, which the other libraries' timeouts can (Hystrix and Failsafe by interrupting).
   */
  static Supplier<CompletionStage<String>> successPathTimed(
      Callable<String> dependency, ScheduledExecutorService scheduler) {
    return Decorators.<String>ofCompletionStage(() -> {
      try {
        return CompletableFuture.completedFuture(dependency.call());
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
    })
        .withTimeLimiter(timeLimiter("P1t"), scheduler)
        .withBulkhead(bulkhead("P1t"))
        .withCircuitBreaker(breaker("P1t"))
        .decorate();
  }

  /** P2: forced open; the fallback answers for the refusal. */
  static Callable<String> openCircuit(Callable<String> dependency) {
    CircuitBreaker breaker = breaker("P2");
    breaker.transitionToForcedOpenState();
    return Decorators.ofCallable(dependency)
        .withBulkhead(bulkhead("P2"))
        .withCircuitBreaker(breaker)
        .withFallback(List.of(CallNotPermittedException.class), e -> Dependency.FALLBACK)
        .decorate();
  }

  /**
   * P3 and P6: breaker around a TimeLimiter around {@code pool} (see {@link #threadPool}); the
   * caller waits on the returned stage.
   */
  static Supplier<CompletionStage<String>> threadIsolated(
      ThreadPoolBulkhead pool, Callable<String> dependency, ScheduledExecutorService scheduler) {
    return Decorators.ofCallable(dependency)
        .withThreadPoolBulkhead(pool)
        .withTimeLimiter(timeLimiter(pool.getName()), scheduler)
        .withCircuitBreaker(breaker(pool.getName()))
        .decorate();
  }
}
