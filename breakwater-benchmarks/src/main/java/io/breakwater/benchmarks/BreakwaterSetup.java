package io.breakwater.benchmarks;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Fallback;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;

/**
 * How Breakwater is configured in each scenario. It always has a circuit breaker, rolling event
 * counts and rolling latency percentiles; the scenarios choose the isolation and the timeout.
 * Calls go through {@link BreakwaterRuntime#execute(String, java.util.concurrent.Callable,
 * Fallback)}, the one-line API, so the name lookup of every call is part of the cost.
 */
final class BreakwaterSetup {

  static final Fallback<String> FALLBACK = Fallback.of(Dependency.FALLBACK);

  private BreakwaterSetup() {}

  /** P1 and P5: semaphore isolation, breaker, metrics, no timeout. */
  static CommandConfig successPath() {
    return base().isolation(Isolation.SEMAPHORE).timeoutEnabled(false).build();
  }

  /** P1t: P1 with its 1 s timeout armed on the shared timer thread. */
  static CommandConfig successPathTimed() {
    return base().isolation(Isolation.SEMAPHORE).timeoutEnabled(true)
        .timeoutMillis(Scenarios.TIMEOUT_MILLIS).build();
  }

  /** P2: forced open; the fallback answers a constant. */
  static CommandConfig openCircuit() {
    return base().isolation(Isolation.SEMAPHORE).timeoutEnabled(false).forceOpen(true).build();
  }

  /** P3: thread isolation on the pool {@code poolKey} (see {@link #pool}), 1 s timeout. */
  static CommandConfig threadIsolated(String poolKey) {
    return base().isolation(Isolation.THREAD).threadPoolKey(poolKey).timeoutEnabled(true)
        .timeoutMillis(Scenarios.TIMEOUT_MILLIS).build();
  }

  /** P6: a virtual thread per call, bounded by a semaphore of {@code permits}. */
  static CommandConfig virtual(int permits) {
    return base().isolation(Isolation.VIRTUAL).maxConcurrentRequests(permits)
        .timeoutEnabled(true).timeoutMillis(Scenarios.TIMEOUT_MILLIS).build();
  }

  /** A fixed pool of {@code threads} with no queue (direct hand-off, the default). */
  static ThreadPoolConfig pool(int threads) {
    return ThreadPoolConfig.builder().coreSize(threads).maximumSize(threads).build();
  }

  private static CommandConfig.Builder base() {
    return CommandConfig.builder()
        .maxConcurrentRequests(Scenarios.SEMAPHORE_PERMITS)
        .requestVolumeThreshold(Scenarios.VOLUME_THRESHOLD)
        .errorThresholdPercentage(Scenarios.ERROR_PERCENT)
        .sleepWindowMillis(Scenarios.SLEEP_WINDOW_MILLIS);
  }
}
