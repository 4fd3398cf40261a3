package io.breakwater.discovery;

import java.util.concurrent.TimeUnit;

/**
 * Waits on behalf of retry and rate-limit loops, so tests can pair a fake {@link Ticker} with a
 * sleeper that moves it instead of waiting.
 */
@FunctionalInterface
interface Sleeper {

  void sleep(long nanos) throws InterruptedException;

  static Sleeper system() {
    return TimeUnit.NANOSECONDS::sleep;
  }
}
