package io.breakwater.benchmarks;

import java.util.concurrent.Callable;

/**
 * The protected call every scenario wraps: it returns a field, so the JIT cannot fold it into a
 * constant, and costs about a nanosecond, so what a benchmark measures is the library around
 * it. {@link #blocking} is the slow dependency of the capacity run.
 */
final class Dependency implements Callable<String> {

  /** What a fallback answers; a different object, so a mix-up would show in a check. */
  static final String FALLBACK = "fallback";

  private final String answer = "answer";

  @Override
  public String call() {
    return answer;
  }

  /** A dependency that blocks its thread for {@code millis} on every call. */
  static Callable<String> blocking(long millis) {
    return () -> {
      Thread.sleep(millis);
      return "slow answer";
    };
  }
}
