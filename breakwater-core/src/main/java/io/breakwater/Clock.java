package io.breakwater;

/**
 * The time source of a {@link BreakwaterRuntime}. Tests pass a fake one so that rolling windows,
 * sleep windows and idle eviction can be driven without sleeping.
 */
public interface Clock {

  /** The system clock: {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
  Clock SYSTEM = new Clock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
      return System.currentTimeMillis();
    }
  };

  /** Monotonic time for measuring intervals, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Wall-clock time in milliseconds since the epoch, used only to stamp snapshots. */
  long currentTimeMillis();
}
