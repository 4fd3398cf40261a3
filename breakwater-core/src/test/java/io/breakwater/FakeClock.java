package io.breakwater;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when a test moves it. */
public final class FakeClock implements Clock {

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

  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    epochMillis.addAndGet(d.toMillis());
  }

  public void advanceMillis(long millis) {
    advance(Duration.ofMillis(millis));
  }
}
