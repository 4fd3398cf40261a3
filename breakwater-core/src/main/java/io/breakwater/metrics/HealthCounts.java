package io.breakwater.metrics;

/**
 * The figures a circuit breaker judges by, over its rolling window: {@code total} counts
 * successes, failures, timeouts and rejections; {@code errors} the same without successes. Bad
 * requests, short circuits and cache hits count in neither. The error percentage is truncated,
 * as Hystrix computes it.
 */
public record HealthCounts(long total, long errors) {

  public static final HealthCounts EMPTY = new HealthCounts(0, 0);

  public HealthCounts {
    if (total < 0 || errors < 0 || errors > total) {
      throw new IllegalArgumentException(
          "health counts need 0 <= errors <= total, got errors=" + errors + " total=" + total);
    }
  }

  /** Errors as a whole percentage of the total, 0 when there was no request. */
  public int errorPercentage() {
    return total == 0 ? 0 : (int) (errors * 100 / total);
  }
}
