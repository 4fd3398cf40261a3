package io.breakwater.metrics;

import java.util.List;

/** Every command, thread pool and collapser of a runtime at one moment. */
public record MetricsSnapshot(
    long timeMillis,
    List<CommandSnapshot> commands,
    List<ThreadPoolSnapshot> threadPools,
    List<CollapserSnapshot> collapsers) {

  public MetricsSnapshot {
    commands = List.copyOf(commands);
    threadPools = List.copyOf(threadPools);
    collapsers = List.copyOf(collapsers);
  }

  /** A snapshot without collapsers. */
  public MetricsSnapshot(
      long timeMillis, List<CommandSnapshot> commands, List<ThreadPoolSnapshot> threadPools) {
    this(timeMillis, commands, threadPools, List.of());
  }
}
