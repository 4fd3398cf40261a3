package io.breakwater;

/**
 * Answers in place of a command that failed, timed out, was rejected or was short-circuited.
 *
 * <p>{@code cause} is what the execution threw for {@link FailureKind#FAILED}, a
 * {@link java.util.concurrent.TimeoutException} for {@link FailureKind#TIMED_OUT}, and
 * {@code null} when the execution never started (short-circuited or rejected): refusing a call
 * creates no exception at all, which keeps an open circuit cheap.
 *
 * <p>No fallback runs for a bad request ({@link BadRequestException}, rethrown as is) or when
 * {@code run} throws an error the JVM cannot recover from ({@link VirtualMachineError}, such as
 * {@link OutOfMemoryError} or {@link StackOverflowError}, a {@link LinkageError}, or
 * {@code ThreadDeath}): the caller gets a {@link CommandException} "... failed and encountered an
 * unrecoverable error." with the error as its cause, as in Hystrix. Other errors, assertion
 * failures included, are failures like any exception and the fallback answers.
 *
 * @param <T> the command's result type
 */
@FunctionalInterface
public interface Fallback<T> {

  /** The answer to give instead; may throw, which the caller sees as a fallback failure. */
  T apply(FailureKind kind, Throwable cause) throws Exception;

  /**
   * Whether this fallback only returns a value it holds: it cannot block or fail, so it runs
   * without taking a fallback permit. False unless made by {@link #of}.
   */
  default boolean isConstant() {
    return false;
  }

  /**
   * A fallback that always answers {@code value}. It is the cheapest there is: it takes no
   * fallback permit, and answering an open circuit with it allocates nothing.
   */
  static <T> Fallback<T> of(T value) {
    return new Fallback<>() {
      @Override
      public T apply(FailureKind kind, Throwable cause) {
        return value;
      }

      @Override
      public boolean isConstant() {
        return true;
      }

      @Override
      public String toString() {
        return "Fallback.of(" + value + ")";
      }
    };
  }
}
