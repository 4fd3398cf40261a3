package io.breakwater;

/** Why a command did not return the value of its own execution. */
public enum FailureKind {
  /** The circuit was open and the execution was not attempted. */
  SHORT_CIRCUITED("short-circuited"),
  /** No permit or thread was available to run it. */
  REJECTED("rejected"),
  /** It did not finish within its timeout. */
  TIMED_OUT("timed-out"),
  /** It threw. */
  FAILED("failed");

  private final String text;

  FailureKind(String text) {
    this.text = text;
  }

  /** Lower-case words for messages, such as {@code timed-out}. */
  public String text() {
    return text;
  }
}
