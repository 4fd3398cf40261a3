package io.breakwater.resilience;

import java.util.Arrays;
import java.util.Locale;

/**
 * Caller latencies of one run, kept exactly (a sorted copy per question), so that p99 of 10 000
 * calls is the 9 900th smallest value and not an estimate. Each recording thread writes its own
 * instance; {@link #merge} joins them afterwards.
 */
final class Latencies {

  private long[] nanos = new long[1024];
  private int count;

  void record(long latencyNanos) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, count * 2);
    }
    nanos[count++] = latencyNanos;
  }

  static Latencies merge(Iterable<Latencies> parts) {
    Latencies all = new Latencies();
    for (Latencies p : parts) {
      for (int i = 0; i < p.count; i++) {
        all.record(p.nanos[i]);
      }
    }
    return all;
  }

  int count() {
    return count;
  }

  /** The value at or below which {@code percent} of the recordings lie (nearest rank), in ms. */
  double percentileMillis(double percent) {
    if (count == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percent / 100.0 * count);
    return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
  }

  double maxMillis() {
    return percentileMillis(100);
  }

  /** {@code n=…, p50=… ms, p99=… ms, max=… ms}. */
  String summary() {
    return String.format(Locale.ROOT, "n=%d p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms",
        count, percentileMillis(50), percentileMillis(90), percentileMillis(99), maxMillis());
  }
}
