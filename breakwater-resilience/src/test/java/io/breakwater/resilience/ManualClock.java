package io.breakwater.resilience;

import io.breakwater.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A Breakwater clock that moves only when a test moves it. */
final class ManualClock implements Clock {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong epochMillis = new AtomicLong(1_700_000_000_000L);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long currentTimeMillis() {
    return epochMillis.get();
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    epochMillis.addAndGet(d.toMillis());
  }
}
