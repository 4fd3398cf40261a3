package io.breakwater.metrics;

import java.util.List;

/** Every command and thread pool of a runtime at one moment. */
public record MetricsSnapshot(
    long timeMillis, List<CommandSnapshot> commands, List<ThreadPoolSnapshot> threadPools) {

  public MetricsSnapshot {
    commands = List.copyOf(commands);
    threadPools = List.copyOf(threadPools);
  }
}
