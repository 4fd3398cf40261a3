package io.breakwater.benchmarks;

import dev.failsafe.Bulkhead;
import dev.failsafe.CircuitBreaker;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.Fallback;
import dev.failsafe.Timeout;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

/**
 * How Failsafe 3.3.2 is configured in each scenario. An executor is built once per scenario and
 * every call goes through {@link FailsafeExecutor#get} (or {@code getAsync}). Policies are
 * listed outermost first: fallback, circuit breaker, bulkhead, timeout. The breaker uses
 * time-based failure-rate thresholding over 10 s with a minimum of 20 executions, the closest
 * match to Hystrix's and Breakwater's rolling health; Failsafe keeps no latency percentiles.
 */
final class FailsafeSetup {

  private FailsafeSetup() {}

  static CircuitBreaker<String> breaker() {
    return CircuitBreaker.<String>builder()
        .withFailureRateThreshold(Scenarios.ERROR_PERCENT, Scenarios.VOLUME_THRESHOLD,
            Duration.ofSeconds(10))
        .withDelay(Duration.ofMillis(Scenarios.SLEEP_WINDOW_MILLIS))
        .build();
  }

  static Timeout<String> timeout() {
    return Timeout.<String>builder(Duration.ofMillis(Scenarios.TIMEOUT_MILLIS))
        .withInterrupt()
        .build();
  }

  /** P1 and P5: breaker and bulkhead. */
  static FailsafeExecutor<String> successPath() {
    return Failsafe.with(breaker(), Bulkhead.of(Scenarios.SEMAPHORE_PERMITS));
  }

  /** P1t: P1 plus a 1 s timeout that interrupts the caller's thread. */
  static FailsafeExecutor<String> successPathTimed() {
    return Failsafe.with(breaker(), Bulkhead.of(Scenarios.SEMAPHORE_PERMITS), timeout());
  }

  /** P2: the breaker opened by hand (for an hour), a fallback answering a constant. */
  static FailsafeExecutor<String> openCircuit() {
    CircuitBreaker<String> breaker = CircuitBreaker.<String>builder()
        .withFailureRateThreshold(Scenarios.ERROR_PERCENT, Scenarios.VOLUME_THRESHOLD,
            Duration.ofSeconds(10))
        .withDelay(Duration.ofSeconds(Scenarios.OPEN_FOR_SECONDS))
        .build();
    breaker.open();
    return Failsafe.with(Fallback.of(Dependency.FALLBACK), breaker,
        Bulkhead.of(Scenarios.SEMAPHORE_PERMITS));
  }

  /** P3: breaker and a 1 s timeout, the call run on {@code pool}. */
  static FailsafeExecutor<String> threadIsolated(ExecutorService pool) {
    return Failsafe.with(breaker(), timeout()).with(pool);
  }
}
