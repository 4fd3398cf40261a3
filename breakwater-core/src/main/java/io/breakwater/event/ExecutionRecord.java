package io.breakwater.event;

import io.breakwater.FailureKind;
import java.util.Set;

/**
 * What one execution of a command did, told to listeners once it has ended.
 *
 * @param commandName the command
 * @param group its group
 * @param events every event of the execution, in no particular order
 * @param executionNanos time spent in {@code run}, or -1 when it did not run
 * @param totalNanos time from the call to the answer
 * @param failureKind why the execution did not answer, or null when it succeeded
 * @param failure what the execution threw, or null
 */
public record ExecutionRecord(
    String commandName,
    String group,
    Set<EventType> events,
    long executionNanos,
    long totalNanos,
    FailureKind failureKind,
    Throwable failure) {

  public ExecutionRecord {
    events = Set.copyOf(events);
  }
}
