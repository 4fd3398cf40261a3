package io.breakwater;

import java.util.Objects;

/**
 * A command could not answer: its execution failed, timed out, was rejected or short-circuited,
 * and no fallback answered in its place. {@link #kind()} says which; {@link #getCause()} is what
 * the execution threw, if it ran; {@link #fallbackFailure()} is what the fallback threw, if one
 * ran and failed.
 */
public class CommandException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String commandName;
  private final FailureKind kind;
  private final transient Throwable fallbackFailure;

  public CommandException(
      String commandName, FailureKind kind, String message, Throwable cause,
      Throwable fallbackFailure) {
    super(message, cause);
    this.commandName = Objects.requireNonNull(commandName, "commandName");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.fallbackFailure = fallbackFailure;
  }

  /** The name of the command that failed. */
  public String commandName() {
    return commandName;
  }

  /** Why the execution did not answer. */
  public FailureKind kind() {
    return kind;
  }

  /** What the fallback threw, or null when none ran or it was missing or disabled. */
  public Throwable fallbackFailure() {
    return fallbackFailure;
  }
}
