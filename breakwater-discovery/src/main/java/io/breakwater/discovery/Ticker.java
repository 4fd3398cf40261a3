package io.breakwater.discovery;

/**
 * A source of monotonic time in nanoseconds, so that TTLs, expiry and back-off can be tested on a
 * fake clock instead of with sleeps. Only differences between two readings are meaningful.
 *
 * <p>A test can pass {@code counter::get} of an {@link java.util.concurrent.atomic.AtomicLong}
 * and move time by adding to the counter.
 */
@FunctionalInterface
public interface Ticker {

  /** The current reading in nanoseconds; only differences between readings mean anything. */
  long nanos();

  /** The JVM's monotonic clock, {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
