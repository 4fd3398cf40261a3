package io.breakwater.internal;

import io.breakwater.FailureKind;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import java.util.EnumSet;
import java.util.Set;

/**
 * What happened to one execution, kept for the caller to inspect ({@code Command} exposes it)
 * and for listeners and the request log. The events are bits of an int, so keeping them costs
 * no allocation. Written by whichever thread finishes the execution, read by the caller after
 * the answer is delivered; the answer's hand-off orders the two.
 */
public final class Trace {

  private volatile int events;
  private volatile long executionNanos = -1;
  private volatile long totalNanos = -1;
  private volatile FailureKind failureKind;
  private volatile Throwable failure;
  private volatile boolean fromFallback;
  /** The request whose log this execution goes to, or null. */
  private volatile RequestContext requestLog;
  /** Requests collapsed into this execution, or 0 when it is not a collapser's batch. */
  private volatile int collapsed;

  /** Marks this execution as the batch of {@code requests} collapsed requests. */
  public void collapsed(int requests) {
    if (requests < 1) {
      throw new IllegalArgumentException("a batch holds at least 1 request, was " + requests);
    }
    collapsed = requests;
  }

  int collapsed() {
    return collapsed;
  }

  void logTo(RequestContext ctx) {
    requestLog = ctx;
  }

  RequestContext requestLog() {
    return requestLog;
  }

  void mark(EventType type) {
    events |= 1 << type.ordinal();
  }

  void executed(long nanos) {
    executionNanos = nanos;
  }

  void total(long nanos) {
    totalNanos = nanos;
  }

  void failed(FailureKind kind, Throwable cause) {
    failureKind = kind;
    failure = cause;
  }

  void answeredByFallback() {
    fromFallback = true;
  }

  public boolean has(EventType type) {
    return (events & (1 << type.ordinal())) != 0;
  }

  public Set<EventType> events() {
    EnumSet<EventType> set = EnumSet.noneOf(EventType.class);
    int bits = events;
    for (EventType t : EventType.values()) {
      if ((bits & (1 << t.ordinal())) != 0) {
        set.add(t);
      }
    }
    return set;
  }

  /** Nanoseconds spent in {@code run}, or -1 when it did not run. */
  public long executionNanos() {
    return executionNanos;
  }

  /** Nanoseconds from the call to the answer, or -1 before the answer. */
  public long totalNanos() {
    return totalNanos;
  }

  /** Why the execution did not answer, or null. */
  public FailureKind failureKind() {
    return failureKind;
  }

  /** What the execution threw (or the timeout), or null. */
  public Throwable failure() {
    return failure;
  }

  public boolean fromFallback() {
    return fromFallback;
  }
}
