package io.breakwater.grpc;

import io.breakwater.CommandException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.Set;

/** Turns a command's outcome into the gRPC status its caller sees. */
final class FailureStatus {

  /**
   * Codes that mean the request itself was wrong or not allowed: another server would answer the
   * same, so they say nothing about this server's health.
   */
  static final Set<Status.Code> CALLER_FAULTS = Set.of(
      Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.ALREADY_EXISTS,
      Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED,
      Status.Code.FAILED_PRECONDITION, Status.Code.OUT_OF_RANGE);

  private FailureStatus() {}

  /**
   * The status for a command that found no answer. A fallback that threw a status exception
   * chose its status; a failed call keeps the server's status (and trailers) with Breakwater's
   * words added; the others get the code that says what happened on the client's side.
   */
  static Status of(CommandException e) {
    Throwable fallbackFailure = e.fallbackFailure();
    if (isStatus(fallbackFailure)) {
      return Status.fromThrowable(fallbackFailure);
    }
    String description = "breakwater: " + e.getMessage();
    switch (e.kind()) {
      case SHORT_CIRCUITED:
        return Status.UNAVAILABLE.withDescription(description + " (circuit open)").withCause(e);
      case REJECTED:
        return Status.RESOURCE_EXHAUSTED.withDescription(description).withCause(e);
      case TIMED_OUT:
        return Status.DEADLINE_EXCEEDED
            .withDescription(description + " (" + timeoutOf(e) + ")").withCause(e);
      case FAILED:
      default:
        Throwable cause = e.getCause();
        Status original = cause == null ? Status.UNKNOWN : Status.fromThrowable(cause);
        return original.augmentDescription(description);
    }
  }

  /** The trailers that go with {@link #of}: the server's, or the fallback's, or none. */
  static Metadata trailersOf(CommandException e) {
    Throwable source = isStatus(e.fallbackFailure()) ? e.fallbackFailure() : e.getCause();
    Metadata trailers = source == null ? null : Status.trailersFromThrowable(source);
    return trailers == null ? new Metadata() : trailers;
  }

  private static String timeoutOf(CommandException e) {
    Throwable cause = e.getCause();
    return cause == null || cause.getMessage() == null ? "timeout elapsed" : cause.getMessage();
  }

  private static boolean isStatus(Throwable t) {
    return t instanceof StatusRuntimeException || t instanceof StatusException;
  }
}
