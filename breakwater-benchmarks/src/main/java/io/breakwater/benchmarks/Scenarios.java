package io.breakwater.benchmarks;

/**
 * The settings every library gets, so that each does the same work. Where a library's default
 * differs, its setup class overrides it with these.
 */
final class Scenarios {

  /** Concurrent executions a semaphore bulkhead admits (Hystrix's and Breakwater's default). */
  static final int SEMAPHORE_PERMITS = 10;
  /** Threads of a thread-isolation pool in P3. */
  static final int POOL_THREADS = 10;
  /** The timeout armed in P1t and P3. */
  static final int TIMEOUT_MILLIS = 1000;
  /** A sleep window no benchmark outlives: a forced-open circuit stays open. */
  static final int OPEN_FOR_SECONDS = 3600;
  /** Circuit thresholds: Hystrix's defaults, which Breakwater keeps. */
  static final int VOLUME_THRESHOLD = 20;
  static final int ERROR_PERCENT = 50;
  static final int SLEEP_WINDOW_MILLIS = 5000;

  private Scenarios() {}
}
