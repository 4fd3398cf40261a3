package io.breakwater;

/**
 * Thrown from a command's {@code run} when the caller asked for something invalid. Breakwater
 * rethrows it unchanged, runs no fallback and does not count it against the dependency's health.
 */
public class BadRequestException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public BadRequestException(String message) {
    super(message);
  }

  public BadRequestException(String message, Throwable cause) {
    super(message, cause);
  }
}
