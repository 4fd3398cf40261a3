package io.breakwater.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A fixed set of monotonic counters, each split into one cell per {@link Stripes stripe}.
 *
 * <p>A stripe's cells are one {@code long[]}, created the first time a thread of that stripe
 * writes and padded at both ends so that two stripes never share a cache line. Writing is one
 * uncontended atomic add; reading adds the stripes up. Counts are cumulative and never reset:
 * rolling windows are differences between two readings (see {@link RollingWindow}), which keeps
 * every count exact without a lock or a reset race.
 */
final class StripedCounters {

  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
  /** Longs of padding on each side of a stripe's cells: 128 bytes, two cache lines. */
  private static final int PAD = 16;

  private final int slots;
  private final AtomicReferenceArray<long[]> stripes = new AtomicReferenceArray<>(Stripes.COUNT);

  StripedCounters(int slots) {
    this.slots = slots;
  }

  int slots() {
    return slots;
  }

  /** Adds one to {@code slot} in the caller's stripe. */
  void increment(int stripe, int slot) {
    CELLS.getAndAdd(cells(stripe), PAD + slot, 1L);
  }

  /**
   * Adds one to {@code slot} without an atomic instruction: exact when only one thread writes
   * the stripe (the usual case: stripes outnumber cores four to one and are handed out by thread
   * id), and may lose an increment when two threads of one stripe race. Fit for samples whose
   * sum is an estimate anyway (latency buckets), never for event counts.
   */
  void incrementRelaxed(int stripe, int slot) {
    long[] cells = cells(stripe);
    int i = PAD + slot;
    CELLS.setOpaque(cells, i, (long) CELLS.getOpaque(cells, i) + 1);
  }

  /** Adds {@code delta} to {@code slot} in the caller's stripe. */
  void add(int stripe, int slot, long delta) {
    CELLS.getAndAdd(cells(stripe), PAD + slot, delta);
  }

  /** The cumulative total of one slot. */
  long sum(int slot) {
    long total = 0;
    for (int s = 0; s < Stripes.COUNT; s++) {
      long[] cells = stripes.get(s);
      if (cells != null) {
        total += (long) CELLS.getVolatile(cells, PAD + slot);
      }
    }
    return total;
  }

  /** The cumulative totals of every slot, written into {@code out}. */
  void sumAll(long[] out) {
    java.util.Arrays.fill(out, 0, slots, 0L);
    for (int s = 0; s < Stripes.COUNT; s++) {
      long[] cells = stripes.get(s);
      if (cells != null) {
        for (int i = 0; i < slots; i++) {
          out[i] += (long) CELLS.getVolatile(cells, PAD + i);
        }
      }
    }
  }

  private long[] cells(int stripe) {
    long[] cells = stripes.get(stripe);
    return cells != null ? cells : createStripe(stripe);
  }

  private long[] createStripe(int stripe) {
    long[] fresh = new long[PAD + slots + PAD];
    return stripes.compareAndSet(stripe, null, fresh) ? fresh : stripes.get(stripe);
  }
}
