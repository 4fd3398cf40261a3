package io.breakwater.internal;

import io.breakwater.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Rolling-window counts over a set of {@link StripedCounters}, without resetting anything.
 *
 * <p>The counters only ever grow. At the start of every bucket this window records what they
 * added up to then; the count over the last {@code n} buckets is today's total minus the total
 * recorded at the start of the oldest of them. Recording happens lazily: the first writer (or
 * reader) to see the clock past the next bucket boundary takes the reading, once, under a
 * try-lock that nobody waits on; every other writer keeps writing. Buckets in which nothing
 * happened get the same reading, so an idle command costs nothing and a window spanning an idle
 * period is still exact.
 *
 * <p>Readings are stored sparsely (only non-zero slots), since most counters of a command and
 * most latency buckets stay at zero. A writer racing with the roll may land its increment in
 * the bucket that is closing; totals stay exact, only the attribution of that one event to a
 * bucket can be off by one.
 */
final class RollingWindow {

  /** The reading taken at the start of a bucket: the non-zero slots and their totals. */
  private static final class Reading {
    final long bucket;
    final int[] slots;
    final long[] totals;

    Reading(long bucket, int[] slots, long[] totals) {
      this.bucket = bucket;
      this.slots = slots;
      this.totals = totals;
    }
  }

  /** Called by the thread that rolls, before the new bucket is published. */
  interface RollListener {
    void onRoll(long closedBucket, long newBucket);
  }

  private static final RollListener NO_LISTENER = (closed, opened) -> { };

  private final StripedCounters counters;
  private final Clock clock;
  private final long origin;
  private final long bucketNanos;
  private final int buckets;
  private final AtomicReferenceArray<Reading> ring;
  private final AtomicBoolean rolling = new AtomicBoolean();
  private final RollListener listener;

  private volatile long lastBucket;
  private volatile long nextRollNanos;

  RollingWindow(StripedCounters counters, Clock clock, long windowMillis, int buckets) {
    this(counters, clock, windowMillis, buckets, NO_LISTENER);
  }

  RollingWindow(
      StripedCounters counters, Clock clock, long windowMillis, int buckets,
      RollListener listener) {
    this.counters = counters;
    this.clock = clock;
    this.buckets = buckets;
    this.bucketNanos = windowMillis * 1_000_000L / buckets;
    this.listener = listener;
    this.ring = new AtomicReferenceArray<>(buckets + 1);
    this.origin = clock.nanoTime();
    this.ring.set(0, read(0));
    this.lastBucket = 0;
    this.nextRollNanos = origin + bucketNanos;
  }

  int buckets() {
    return buckets;
  }

  long bucketNanos() {
    return bucketNanos;
  }

  /** The newest bucket whose start has been recorded. */
  long currentBucket() {
    return lastBucket;
  }

  /** The bucket a time falls in. */
  long bucketOf(long nanos) {
    return Math.max(0, (nanos - origin) / bucketNanos);
  }

  /**
   * Records the bucket boundary if {@code now} has crossed it. On the hot path this is one
   * volatile read and a comparison.
   */
  void maybeRoll(long now) {
    if (now >= nextRollNanos) {
      roll(now);
    }
  }

  private void roll(long now) {
    if (!rolling.compareAndSet(false, true)) {
      return;
    }
    try {
      long bucket = bucketOf(now);
      long last = lastBucket;
      if (bucket <= last) {
        return;
      }
      listener.onRoll(last, bucket);
      Reading reading = read(bucket);
      for (long k = Math.max(last + 1, bucket - buckets); k <= bucket; k++) {
        ring.set(slot(k), k == bucket ? reading : new Reading(k, reading.slots, reading.totals));
      }
      nextRollNanos = origin + (bucket + 1) * bucketNanos;
      lastBucket = bucket;
    } finally {
      rolling.set(false);
    }
  }

  /**
   * The counts of every slot over the last {@code buckets} buckets, the current partial bucket
   * included, written into {@code out} (length at least the number of slots).
   */
  void windowCounts(long now, long[] out) {
    maybeRoll(now);
    counters.sumAll(out);
    Reading base = readingAt(bucketOf(now) - buckets + 1);
    if (base == EMPTY_WINDOW) {
      java.util.Arrays.fill(out, 0, counters.slots(), 0L);
      return;
    }
    for (int i = 0; i < base.slots.length; i++) {
      out[base.slots[i]] -= base.totals[i];
    }
  }

  /** The cumulative totals of every slot, written into {@code out}. */
  void cumulativeCounts(long[] out) {
    counters.sumAll(out);
  }

  private static final Reading EMPTY_WINDOW = new Reading(-1, new int[0], new long[0]);

  /**
   * The reading at the start of {@code bucket}: the reading taken when this window was made for
   * a bucket before that (the counters may predate the window: it is rebuilt when its shape
   * changes), {@link #EMPTY_WINDOW} when nothing happened since the bucket started.
   */
  private Reading readingAt(long bucket) {
    if (bucket <= 0) {
      return ring.get(0);
    }
    if (bucket > lastBucket) {
      // Nobody has written since the start of lastBucket, which is older than the window.
      return EMPTY_WINDOW;
    }
    Reading r = ring.get(slot(bucket));
    return r != null && r.bucket <= bucket ? r : ring.get(slot(lastBucket));
  }

  private int slot(long bucket) {
    return (int) (bucket % (buckets + 1));
  }

  private Reading read(long bucket) {
    long[] all = new long[counters.slots()];
    counters.sumAll(all);
    int nonZero = 0;
    for (long v : all) {
      if (v != 0) {
        nonZero++;
      }
    }
    int[] slots = new int[nonZero];
    long[] totals = new long[nonZero];
    for (int i = 0, j = 0; i < all.length; i++) {
      if (all[i] != 0) {
        slots[j] = i;
        totals[j++] = all[i];
      }
    }
    return new Reading(bucket, slots, totals);
  }

  /** Totals of the given slots at the start of the current window, for baselines. */
  long[] cumulativeSnapshot() {
    long[] all = new long[counters.slots()];
    counters.sumAll(all);
    return all;
  }
}
