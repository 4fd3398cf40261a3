package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.circuit.CircuitState;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;

/**
 * Everything Breakwater keeps for one command name: its configuration, semaphores, metrics and
 * circuit breaker. Shared by every execution of the command.
 */
public final class CommandState {

  final String name;
  final Clock clock;
  final StripedSemaphore executionPermits;
  final StripedSemaphore fallbackPermits;
  final CommandMetrics metrics;
  final CircuitBreaker breaker;
  private volatile CommandConfig config;
  private volatile String group;
  private volatile String poolKey;
  volatile ThreadPoolIsolation pool;
  /** Cumulative executions when eviction last looked, to tell an idle command. */
  volatile long lastSeenExecutions = -1;
  volatile long idleSinceNanos;

  CommandState(String name, Clock clock, CommandConfig config, Listeners listeners) {
    this.name = name;
    this.clock = clock;
    this.executionPermits = new StripedSemaphore(config.maxConcurrentRequests());
    this.fallbackPermits = new StripedSemaphore(config.fallbackMaxConcurrentRequests());
    this.metrics = new CommandMetrics(clock, executionPermits, config);
    this.breaker = new CircuitBreaker(name, clock, metrics, listeners);
    this.idleSinceNanos = clock.nanoTime();
    apply(config);
  }

  /** Takes a new configuration; the next execution uses it, metrics are kept. */
  void apply(CommandConfig next) {
    executionPermits.setLimit(next.maxConcurrentRequests());
    fallbackPermits.setLimit(next.fallbackMaxConcurrentRequests());
    metrics.reconfigure(next);
    group = next.group() != null ? next.group() : name;
    poolKey = next.threadPoolKey() != null ? next.threadPoolKey() : group;
    config = next;
  }

  public String name() {
    return name;
  }

  public CommandConfig config() {
    return config;
  }

  public String group() {
    return group;
  }

  public String poolKey() {
    return poolKey;
  }

  public CircuitState circuitState() {
    return breaker.state();
  }

  /** Closes the circuit and starts its health from zero. */
  public void resetCircuit() {
    breaker.reset();
  }

  public long cumulative(EventType type) {
    return metrics.cumulative(type);
  }

  /** Executions of this command that have started, by any path. */
  long executionsStarted() {
    return metrics.cumulative(EventType.SUCCESS) + metrics.cumulative(EventType.FAILURE)
        + metrics.cumulative(EventType.TIMEOUT) + metrics.cumulative(EventType.BAD_REQUEST)
        + metrics.cumulative(EventType.SHORT_CIRCUITED)
        + metrics.cumulative(EventType.SEMAPHORE_REJECTED)
        + metrics.cumulative(EventType.THREAD_POOL_REJECTED)
        + metrics.cumulative(EventType.RESPONSE_FROM_CACHE)
        + metrics.cumulative(EventType.CANCELLED);
  }

  public CommandSnapshot snapshot() {
    long now = clock.nanoTime();
    CommandConfig c = config;
    long[] rolling = new long[CommandMetrics.EVENTS];
    metrics.rollingCounts(now, rolling);
    long[] cumulative = new long[CommandMetrics.EVENTS];
    metrics.cumulativeCounts(cumulative);
    return new CommandSnapshot(name, group, poolKey, clock.currentTimeMillis(), breaker.state(),
        metrics.health(now), rolling, cumulative, executionPermits.inUse(),
        metrics.rollingMaxConcurrency(now), metrics.executionLatency(now),
        metrics.totalLatency(now), metrics.executionTotals(), metrics.totalTotals(), c);
  }
}
