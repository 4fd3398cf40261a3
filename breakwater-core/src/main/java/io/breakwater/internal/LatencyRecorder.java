package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.LatencyTotals;

/**
 * Rolling latency percentiles, recorded with one plain add on the caller's own cache line.
 *
 * <p>Latencies are counted in log-linear buckets of microseconds, the layout HdrHistogram made
 * popular (Gil Tene, "HdrHistogram: A High Dynamic Range Histogram"): values below 64 µs have a
 * bucket each; above, every power of two is split into 32 equal buckets, so a bucket is at most
 * about 3 % wide and, reported at its middle, a value is known within about 1.6 %. 864 buckets
 * cover 0 µs to 2^31 µs (about 36 minutes); longer latencies are counted in the last one.
 *
 * <p>The buckets are {@link StripedCounters}, one set per thread stripe, so a writer touches
 * only its own stripe, where HdrHistogram's concurrent recorder takes several atomic operations
 * on lines every writer shares. The add is not even atomic (see
 * {@link StripedCounters#incrementRelaxed}): two threads sharing a stripe may lose a sample,
 * which shifts a percentile by nothing measurable and keeps a lock prefix off the hot path;
 * event counts, which must be exact, are counted elsewhere with atomic adds. The rolling window
 * is a {@link RollingWindow} of 10 s buckets by default.
 */
final class LatencyRecorder {

  static final int SLOTS = 864;
  private static final long MAX_MICROS = (1L << 31) - 1;

  private final StripedCounters counts = new StripedCounters(SLOTS);
  private final RollingWindow window;

  LatencyRecorder(Clock clock, long windowMillis, int buckets) {
    this.window = new RollingWindow(counts, clock, windowMillis, buckets);
  }

  /** Records one latency measured at {@code now}. */
  void record(int stripe, long nanos, long now) {
    window.maybeRoll(now);
    counts.incrementRelaxed(stripe, slotOf(nanos / 1000));
  }

  /** Records one value that is not a latency (a batch size, say), as is. */
  void recordValue(int stripe, long value, long now) {
    window.maybeRoll(now);
    counts.increment(stripe, slotOf(value));
  }

  /** Adds this recorder's counts over the rolling window into {@code into}. */
  void addWindow(long now, long[] into) {
    long[] counts = new long[SLOTS];
    window.windowCounts(now, counts);
    for (int i = 0; i < SLOTS; i++) {
      into[i] += counts[i];
    }
  }

  /** Adds this recorder's cumulative counts (since it was made) into {@code into}. */
  void addCumulative(long[] into) {
    long[] counts = new long[SLOTS];
    window.cumulativeCounts(counts);
    for (int i = 0; i < SLOTS; i++) {
      into[i] += counts[i];
    }
  }

  /** The count and the sum (at bucket middles) of a set of bucket counts. */
  static LatencyTotals totals(long[] counts) {
    long total = 0;
    long sum = 0;
    for (int i = 0; i < SLOTS; i++) {
      long c = counts[i];
      if (c > 0) {
        total += c;
        sum += c * ((lowest(i) + highest(i)) / 2);
      }
    }
    return total == 0 ? LatencyTotals.EMPTY : new LatencyTotals(total, sum);
  }

  static LatencySnapshot summarize(long[] counts) {
    long total = 0;
    double sum = 0;
    for (int i = 0; i < SLOTS; i++) {
      long c = counts[i];
      if (c > 0) {
        total += c;
        sum += c * (double) (lowest(i) + highest(i)) / 2;
      }
    }
    if (total == 0) {
      return LatencySnapshot.EMPTY;
    }
    double[] ps = LatencySnapshot.PERCENTILES;
    long[] values = new long[ps.length];
    for (int p = 0; p < ps.length; p++) {
      values[p] = valueAt(counts, total, ps[p]);
    }
    return new LatencySnapshot(total, Math.round(sum / total), values);
  }

  /**
   * The value at a percentile: the middle of the bucket holding the sample of that rank, where
   * the rank is the percentile of the count rounded to the nearest sample (at least the first).
   * The middle keeps the error within half a bucket, about 1.6 %.
   */
  private static long valueAt(long[] counts, long total, double percentile) {
    long rank = Math.max(1, (long) (percentile / 100.0 * total + 0.5));
    long seen = 0;
    for (int i = 0; i < SLOTS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return (lowest(i) + highest(i)) / 2;
      }
    }
    return highest(SLOTS - 1);
  }

  static int slotOf(long micros) {
    long v = Math.min(Math.max(micros, 0), MAX_MICROS);
    if (v < 64) {
      return (int) v;
    }
    int magnitude = 63 - Long.numberOfLeadingZeros(v);
    return 64 + ((magnitude - 6) << 5) + (int) ((v >>> (magnitude - 5)) - 32);
  }

  static long lowest(int slot) {
    if (slot < 64) {
      return slot;
    }
    int magnitude = 6 + ((slot - 64) >> 5);
    long sub = ((slot - 64) & 31) + 32;
    return sub << (magnitude - 5);
  }

  static long highest(int slot) {
    if (slot < 64) {
      return slot;
    }
    int magnitude = 6 + ((slot - 64) >> 5);
    return lowest(slot) + (1L << (magnitude - 5)) - 1;
  }
}
