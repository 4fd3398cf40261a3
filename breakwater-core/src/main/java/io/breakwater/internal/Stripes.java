package io.breakwater.internal;

/**
 * Picks the stripe a thread writes to in every striped structure of Breakwater.
 *
 * <p>Striping keeps the success path free of a shared hot cache line: each thread increments
 * counters that live in its own stripe, and only readers (snapshots, every half second) add the
 * stripes up. The stripe is the thread's id modulo a power of two at least four times the
 * processor count. Thread ids are handed out in creation order, so threads created together
 * (a request pool, a benchmark's workers, our own pool threads) land on distinct stripes; a
 * random hash would collide far more often at small thread counts.
 */
public final class Stripes {

  /** Number of stripes: a power of two, four per processor, between 4 and 64. */
  public static final int COUNT = stripeCount(Runtime.getRuntime().availableProcessors());

  static final int MASK = COUNT - 1;

  private Stripes() {}

  /** The stripe of the calling thread. */
  @SuppressWarnings("deprecation") // Thread.getId: threadId() only exists from Java 19
  public static int current() {
    return (int) Thread.currentThread().getId() & MASK;
  }

  static int stripeCount(int processors) {
    int wanted = Math.max(4, Math.min(64, processors * 4));
    return Integer.highestOneBit(wanted - 1) << 1;
  }
}
