package io.breakwater.micrometer;

import io.breakwater.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when a test moves it (a copy of core's, whose tests we cannot use). */
final class FakeClock implements Clock {

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
