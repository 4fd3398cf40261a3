package io.breakwater.example;

/** A command line the tool cannot run; the message names the bad argument. */
final class UsageException extends Exception {

  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
