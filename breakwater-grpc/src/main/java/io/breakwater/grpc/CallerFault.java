package io.breakwater.grpc;

import io.breakwater.BadRequestException;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * A call closed with a status that is the caller's fault. It travels through the command as a
 * {@link BadRequestException}, so it is not counted against the server's health and no fallback
 * runs, and carries the original status and trailers back to the caller unchanged.
 */
final class CallerFault extends BadRequestException {

  private static final long serialVersionUID = 1L;

  private final transient Status status;
  private final transient Metadata trailers;

  CallerFault(String commandName, Status status, Metadata trailers) {
    super(commandName + ": the server answered " + status.getCode()
        + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")"),
        status.asRuntimeException(trailers));
    this.status = status;
    this.trailers = trailers;
  }

  Status status() {
    return status;
  }

  Metadata trailers() {
    return trailers;
  }
}
