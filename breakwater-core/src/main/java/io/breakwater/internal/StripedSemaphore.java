package io.breakwater.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counting semaphore whose permits are spread over {@link Stripes stripes}, so that two
 * threads acquiring and releasing at the same time touch different cache lines.
 *
 * <p>Permits live in three places: a global pool, the free permits each stripe holds, and the
 * permits in use. Their sum is always the limit, so the semaphore never admits more than its
 * limit. A thread first takes a free permit of its own stripe (one CAS on a line only its stripe
 * writes); when its stripe has none it borrows a small batch from the global pool; when the pool
 * is empty it takes one from another stripe. A released permit goes back to the stripe it came
 * from, which keeps a few for the next call and returns the rest to the pool. Only when the
 * limit is nearly reached do threads meet on shared lines, and then a rejection may be spurious
 * if a permit moves between stripes during the search: near the limit a semaphore either
 * rejects a little early or not at all, never late.
 *
 * <p>Each stripe's word packs the permits in use (high 32 bits) and the free permits it holds
 * (low 32 bits), so one CAS takes a permit and counts it in use. Permits must be released on the
 * stripe that acquired them. Each stripe also keeps the peak of its in-use count per rolling
 * bucket, from which (with the totals sampled when metrics are read) the rolling maximum
 * concurrency is reported.
 */
final class StripedSemaphore {

  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle FREE;
  private static final long IN_USE_ONE = 1L << 32;
  /** Longs per stripe: 128 bytes, so neighbouring stripes never share a cache line. */
  private static final int STRIDE = 16;
  private static final int WORD = 0;
  /** Two (bucket, peak) pairs per stripe, chosen by the bucket's parity. */
  private static final int PEAK_BUCKET = 1;
  private static final int PEAK = 2;

  static {
    try {
      FREE = MethodHandles.lookup().findVarHandle(StripedSemaphore.class, "free", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** One stride of padding before the first stripe, one after the last. */
  private final long[] cells = new long[(Stripes.COUNT + 2) * STRIDE];
  private final Object resizeLock = new Object();

  /** Permits in the global pool; negative while a lowered limit waits for permits back. */
  @SuppressWarnings("unused") // accessed through FREE
  private volatile int free;
  private volatile int limit;
  private volatile int batch;
  private volatile int keep;

  StripedSemaphore(int limit) {
    this.limit = limit;
    this.free = limit;
    sizeBatches(limit);
    for (int s = 0; s < Stripes.COUNT; s++) {
      cells[base(s) + PEAK_BUCKET] = -1;
      cells[base(s) + PEAK_BUCKET + 2] = -1;
    }
  }

  int limit() {
    return limit;
  }

  /**
   * Takes a permit for the caller's stripe, or returns false at once when none is free.
   * {@code bucket} is the current rolling bucket, for the peak concurrency, or -1 to keep no
   * peak.
   */
  boolean tryAcquire(int stripe, long bucket) {
    int i = base(stripe);
    long w;
    while ((int) (w = (long) CELLS.getVolatile(cells, i)) > 0) {
      if (CELLS.compareAndSet(cells, i, w, w - 1 + IN_USE_ONE)) {
        notePeak(i, bucket, (w >> 32) + 1);
        return true;
      }
    }
    return borrow(stripe, i, bucket) || steal(stripe, i, bucket);
  }

  /** Counts an execution in use without taking a permit (thread isolation bounds itself). */
  void enter(int stripe, long bucket) {
    int i = base(stripe);
    long w = (long) CELLS.getAndAdd(cells, i, IN_USE_ONE);
    notePeak(i, bucket, (w >> 32) + 1);
  }

  /** Undoes {@link #enter}. */
  void exit(int stripe) {
    CELLS.getAndAdd(cells, base(stripe), -IN_USE_ONE);
  }

  /** Gives back a permit taken by {@link #tryAcquire} on the same stripe. */
  void release(int stripe) {
    int i = base(stripe);
    if ((int) FREE.getVolatile(this) < 0) {
      payBack(i);
      return;
    }
    long w = (long) CELLS.getAndAdd(cells, i, 1 - IN_USE_ONE);
    if ((int) w + 1 > keep) {
      giveBack(i, (int) w + 1 - keep);
    }
  }

  /** The limit was lowered: the permit goes back to the pool instead of the stripe. */
  private void payBack(int i) {
    CELLS.getAndAdd(cells, i, -IN_USE_ONE);
    FREE.getAndAdd(this, 1);
  }

  private boolean borrow(int stripe, int i, long bucket) {
    int g;
    while ((g = (int) FREE.getVolatile(this)) > 0) {
      int take = Math.min(g, batch);
      if (FREE.compareAndSet(this, g, g - take)) {
        long w = (long) CELLS.getAndAdd(cells, i, (take - 1) + IN_USE_ONE);
        notePeak(i, bucket, (w >> 32) + 1);
        return true;
      }
    }
    return false;
  }

  private boolean steal(int stripe, int i, long bucket) {
    for (int k = 1; k < Stripes.COUNT; k++) {
      int j = base((stripe + k) & Stripes.MASK);
      long w;
      while ((int) (w = (long) CELLS.getVolatile(cells, j)) > 0) {
        if (CELLS.compareAndSet(cells, j, w, w - 1)) {
          long mine = (long) CELLS.getAndAdd(cells, i, IN_USE_ONE);
          notePeak(i, bucket, (mine >> 32) + 1);
          return true;
        }
      }
    }
    return false;
  }

  private void giveBack(int i, int wanted) {
    long w;
    while ((int) (w = (long) CELLS.getVolatile(cells, i)) >= wanted) {
      if (CELLS.compareAndSet(cells, i, w, w - wanted)) {
        FREE.getAndAdd(this, wanted);
        return;
      }
    }
  }

  /**
   * Changes the limit. Raising it adds permits to the pool; lowering it takes the difference out
   * of the pool (possibly below zero) and drains the stripes' free permits back, so that calls
   * after this one see the new limit; permits in use are paid back as they are released.
   */
  void setLimit(int newLimit) {
    synchronized (resizeLock) { // guards limit changes against each other; never blocks callers
      int delta = newLimit - limit;
      if (delta == 0) {
        return;
      }
      limit = newLimit;
      sizeBatches(newLimit);
      FREE.getAndAdd(this, delta);
      if (delta < 0) {
        for (int s = 0; s < Stripes.COUNT; s++) {
          int i = base(s);
          long w;
          while ((int) (w = (long) CELLS.getVolatile(cells, i)) > 0) {
            if (CELLS.compareAndSet(cells, i, w, w - (int) w)) {
              FREE.getAndAdd(this, (int) w);
              break;
            }
          }
        }
      }
    }
  }

  /** Executions in use now, over all stripes. */
  int inUse() {
    long total = 0;
    for (int s = 0; s < Stripes.COUNT; s++) {
      total += ((long) CELLS.getVolatile(cells, base(s))) >> 32;
    }
    return (int) Math.max(0, total);
  }

  /**
   * The highest in-use count any one stripe reached during {@code bucket}: a lower bound of the
   * true peak (exact when the callers share a stripe). Adding the stripes' peaks up instead
   * would count sequential callers on different stripes as concurrent.
   */
  long peak(long bucket) {
    long max = 0;
    int parity = (int) (bucket & 1) * 2;
    for (int s = 0; s < Stripes.COUNT; s++) {
      int i = base(s);
      if ((long) CELLS.getOpaque(cells, i + PEAK_BUCKET + parity) == bucket) {
        max = Math.max(max, (long) CELLS.getOpaque(cells, i + PEAK + parity));
      }
    }
    return max;
  }

  private void notePeak(int i, long bucket, long inUse) {
    // Plain reads and opaque writes: a race between two threads of one stripe may lose a peak
    // by one, which a gauge can afford; a lock here would cost every call. The check that
    // usually finds nothing to do is kept small enough to be inlined.
    if (bucket >= 0) {
      int parity = (int) (bucket & 1) * 2;
      if (cells[i + PEAK_BUCKET + parity] != bucket || inUse > cells[i + PEAK + parity]) {
        raisePeak(i, bucket, inUse, parity);
      }
    }
  }

  private void raisePeak(int i, long bucket, long inUse, int parity) {
    if (cells[i + PEAK_BUCKET + parity] != bucket) {
      CELLS.setOpaque(cells, i + PEAK + parity, inUse);
      CELLS.setOpaque(cells, i + PEAK_BUCKET + parity, bucket);
    } else if (inUse > cells[i + PEAK + parity]) {
      CELLS.setOpaque(cells, i + PEAK + parity, inUse);
    }
  }

  private void sizeBatches(int limit) {
    // Borrow in small batches and keep few: enough that a busy stripe rarely visits the pool,
    // few enough that an idle stripe does not sit on permits others need.
    batch = Math.max(1, limit / (Stripes.COUNT * 2));
    keep = Math.max(1, (limit + Stripes.COUNT - 1) / Stripes.COUNT);
  }

  private static int base(int stripe) {
    return (stripe + 1) * STRIDE;
  }
}
