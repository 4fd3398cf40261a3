package io.breakwater.metrics;

import io.breakwater.CommandConfig;
import io.breakwater.circuit.CircuitState;
import io.breakwater.event.EventType;

/**
 * Everything known about one command at one moment: its rolling and cumulative event counts,
 * health, concurrency, latency and configuration. The event stream and the Micrometer binder
 * both read this.
 */
public final class CommandSnapshot {

  private static final int EVENTS = EventType.values().length;

  private final String name;
  private final String group;
  private final String threadPoolKey;
  private final long timeMillis;
  private final CircuitState circuitState;
  private final HealthCounts health;
  private final long[] rollingCounts;
  private final long[] cumulativeCounts;
  private final int currentConcurrency;
  private final long rollingMaxConcurrency;
  private final LatencySnapshot executionLatency;
  private final LatencySnapshot totalLatency;
  private final LatencyTotals executionTotals;
  private final LatencyTotals totalTotals;
  private final CommandConfig config;

  public CommandSnapshot(
      String name, String group, String threadPoolKey, long timeMillis,
      CircuitState circuitState, HealthCounts health, long[] rollingCounts,
      long[] cumulativeCounts, int currentConcurrency, long rollingMaxConcurrency,
      LatencySnapshot executionLatency, LatencySnapshot totalLatency, CommandConfig config) {
    this(name, group, threadPoolKey, timeMillis, circuitState, health, rollingCounts,
        cumulativeCounts, currentConcurrency, rollingMaxConcurrency, executionLatency,
        totalLatency, LatencyTotals.EMPTY, LatencyTotals.EMPTY, config);
  }

  public CommandSnapshot(
      String name, String group, String threadPoolKey, long timeMillis,
      CircuitState circuitState, HealthCounts health, long[] rollingCounts,
      long[] cumulativeCounts, int currentConcurrency, long rollingMaxConcurrency,
      LatencySnapshot executionLatency, LatencySnapshot totalLatency,
      LatencyTotals executionTotals, LatencyTotals totalTotals, CommandConfig config) {
    if (rollingCounts.length != EVENTS || cumulativeCounts.length != EVENTS) {
      throw new IllegalArgumentException("counts need one entry per EventType (" + EVENTS + ")");
    }
    this.name = name;
    this.group = group;
    this.threadPoolKey = threadPoolKey;
    this.timeMillis = timeMillis;
    this.circuitState = circuitState;
    this.health = health;
    this.rollingCounts = rollingCounts.clone();
    this.cumulativeCounts = cumulativeCounts.clone();
    this.currentConcurrency = currentConcurrency;
    this.rollingMaxConcurrency = rollingMaxConcurrency;
    this.executionLatency = executionLatency;
    this.totalLatency = totalLatency;
    this.executionTotals = executionTotals;
    this.totalTotals = totalTotals;
    this.config = config;
  }

  public String name() {
    return name;
  }

  public String group() {
    return group;
  }

  public String threadPoolKey() {
    return threadPoolKey;
  }

  /** Wall-clock time the snapshot was taken. */
  public long timeMillis() {
    return timeMillis;
  }

  /** The breaker's own state; see {@link #circuitOpen()} for what a dashboard should show. */
  public CircuitState circuitState() {
    return circuitState;
  }

  /**
   * Whether calls are being refused: the breaker is enabled and forced open, or open or
   * half-open and not forced closed. This is Hystrix's {@code isCircuitBreakerOpen}.
   */
  public boolean circuitOpen() {
    if (!config.circuitBreakerEnabled()) {
      return false;
    }
    if (config.forceOpen()) {
      return true;
    }
    if (config.forceClosed()) {
      return false;
    }
    return circuitState != CircuitState.CLOSED;
  }

  public HealthCounts health() {
    return health;
  }

  /** Occurrences of an event in the rolling statistics window. */
  public long rollingCount(EventType type) {
    return rollingCounts[type.ordinal()];
  }

  /** Occurrences of an event since the command was first used. */
  public long cumulativeCount(EventType type) {
    return cumulativeCounts[type.ordinal()];
  }

  /** Executions running now. */
  public int currentConcurrency() {
    return currentConcurrency;
  }

  /** The most executions running at once in the rolling statistics window. */
  public long rollingMaxConcurrency() {
    return rollingMaxConcurrency;
  }

  /** Time spent in {@code run}, over the percentile window. */
  public LatencySnapshot executionLatency() {
    return executionLatency;
  }

  /** Time the caller waited, Breakwater's own work included, over the percentile window. */
  public LatencySnapshot totalLatency() {
    return totalLatency;
  }

  /** Count and sum of every execution latency since the command was first used. */
  public LatencyTotals executionTotals() {
    return executionTotals;
  }

  /** Count and sum of every total latency (the caller's wait) since first use. */
  public LatencyTotals totalTotals() {
    return totalTotals;
  }

  public CommandConfig config() {
    return config;
  }

  @Override
  public String toString() {
    return "CommandSnapshot{name=" + name + ", circuit=" + circuitState + ", health=" + health
        + ", success=" + rollingCount(EventType.SUCCESS)
        + ", failure=" + rollingCount(EventType.FAILURE)
        + ", timeout=" + rollingCount(EventType.TIMEOUT)
        + ", shortCircuited=" + rollingCount(EventType.SHORT_CIRCUITED) + "}";
  }
}
