package io.breakwater.metrics;

/**
 * Latency over a rolling window: how many executions were measured, their mean, and the
 * percentiles Hystrix's stream reports (0, 25, 50, 75, 90, 95, 99, 99.5 and 100), in
 * microseconds. Values are exact below 64 µs and within about 1.6 % above.
 */
public final class LatencySnapshot {

  /** The percentiles every snapshot carries, in this order. */
  public static final double[] PERCENTILES = {0, 25, 50, 75, 90, 95, 99, 99.5, 100};

  /** A window in which nothing was measured. */
  public static final LatencySnapshot EMPTY = new LatencySnapshot(0, 0, new long[9]);

  private final long count;
  private final long meanMicros;
  private final long[] percentileMicros;

  public LatencySnapshot(long count, long meanMicros, long[] percentileMicros) {
    if (percentileMicros.length != PERCENTILES.length) {
      throw new IllegalArgumentException("expected " + PERCENTILES.length
          + " percentiles, got " + percentileMicros.length);
    }
    this.count = count;
    this.meanMicros = meanMicros;
    this.percentileMicros = percentileMicros.clone();
  }

  /** Executions measured in the window. */
  public long count() {
    return count;
  }

  public long meanMicros() {
    return meanMicros;
  }

  /** The mean in whole milliseconds, rounded. */
  public int meanMillis() {
    return (int) ((meanMicros + 500) / 1000);
  }

  /**
   * The value at one of {@link #PERCENTILES}, in microseconds.
   *
   * @throws IllegalArgumentException for a percentile not in the list
   */
  public long percentileMicros(double percentile) {
    return percentileMicros[indexOf(percentile)];
  }

  /** The value at one of {@link #PERCENTILES}, in whole milliseconds, rounded. */
  public int percentileMillis(double percentile) {
    return (int) ((percentileMicros(percentile) + 500) / 1000);
  }

  private static int indexOf(double percentile) {
    for (int i = 0; i < PERCENTILES.length; i++) {
      if (PERCENTILES[i] == percentile) {
        return i;
      }
    }
    throw new IllegalArgumentException("percentile " + percentile
        + " is not tracked; use one of 0, 25, 50, 75, 90, 95, 99, 99.5, 100");
  }

  @Override
  public String toString() {
    return "LatencySnapshot{count=" + count + ", meanMicros=" + meanMicros + ", p50="
        + percentileMicros[2] + ", p99=" + percentileMicros[6] + ", max=" + percentileMicros[8]
        + "}";
  }
}
