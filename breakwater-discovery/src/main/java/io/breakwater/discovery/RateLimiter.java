package io.breakwater.discovery;

/**
 * A token bucket with a burst of two, the limiter Consul's documentation suggests for blocking
 * query loops: in the happy case a loop goes round at once, twice in a row if it must (one
 * answer, one re-read after an index reset), and under churn it degrades to one request per
 * interval instead of flooding the server. Used by one thread only.
 */
final class RateLimiter {

  private static final double BURST = 2;

  private final long intervalNanos;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private double tokens = BURST;
  private long last;

  RateLimiter(long intervalNanos, Ticker ticker, Sleeper sleeper) {
    this.intervalNanos = intervalNanos;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.last = ticker.nanos();
  }

  /** Takes one token, waiting for it if the bucket is empty. */
  void acquire() throws InterruptedException {
    while (true) {
      long now = ticker.nanos();
      tokens = Math.min(BURST, tokens + (now - last) / (double) intervalNanos);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      sleeper.sleep((long) Math.ceil((1 - tokens) * intervalNanos));
    }
  }
}
