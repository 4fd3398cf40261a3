package io.breakwater.event;

/**
 * What happened to one execution of a command. The names and meanings are Hystrix's, so that
 * dashboards and alerts written for Hystrix read Breakwater's figures unchanged.
 *
 * <p>A terminal event ends an execution; the others are steps on the way. Health, the figures
 * the circuit breaker judges by, counts {@link #SUCCESS}, {@link #FAILURE}, {@link #TIMEOUT},
 * {@link #THREAD_POOL_REJECTED} and {@link #SEMAPHORE_REJECTED}; everything but the first is an
 * error. Bad requests and short circuits are in neither figure.
 */
public enum EventType {
  /** A value was emitted by a streaming execution. */
  EMIT(false),
  /** The execution returned normally. */
  SUCCESS(true),
  /** The execution threw something other than a {@code BadRequestException}. */
  FAILURE(false),
  /** The execution did not finish within its timeout. */
  TIMEOUT(false),
  /** The execution threw a {@code BadRequestException}: the caller's fault, rethrown as is. */
  BAD_REQUEST(true),
  /** The circuit was open, so the execution was not attempted. */
  SHORT_CIRCUITED(false),
  /** The thread pool had no thread and no queue room. */
  THREAD_POOL_REJECTED(false),
  /** The execution semaphore had no permit left. */
  SEMAPHORE_REJECTED(false),
  /** A value was emitted by a streaming fallback. */
  FALLBACK_EMIT(false),
  /** The fallback answered. */
  FALLBACK_SUCCESS(true),
  /** The fallback threw. */
  FALLBACK_FAILURE(true),
  /** The fallback semaphore had no permit left. */
  FALLBACK_REJECTION(true),
  /** There was no fallback to run. */
  FALLBACK_MISSING(true),
  /** The caller received an exception. */
  EXCEPTION_THROWN(false),
  /** The answer came from the request cache without executing. */
  RESPONSE_FROM_CACHE(true),
  /** The caller cancelled before the execution ended. */
  CANCELLED(true),
  /** The execution served a batch of collapsed requests. */
  COLLAPSED(false);

  private static final EventType[] VALUES = values();

  private final boolean terminal;

  EventType(boolean terminal) {
    this.terminal = terminal;
  }

  /** Whether this event ends an execution. */
  public boolean isTerminal() {
    return terminal;
  }

  /** Whether this event is an error in the circuit breaker's health figures. */
  public boolean isHealthError() {
    return this == FAILURE || this == TIMEOUT || this == THREAD_POOL_REJECTED
        || this == SEMAPHORE_REJECTED;
  }

  /** Whether this event counts in the total of the circuit breaker's health figures. */
  public boolean isHealthTotal() {
    return this == SUCCESS || isHealthError();
  }

  /** The event with this ordinal, without allocating the {@code values()} array. */
  public static EventType ofOrdinal(int ordinal) {
    return VALUES[ordinal];
  }
}
