package io.breakwater.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.FakeClock;
import org.junit.jupiter.api.Test;

class RollingWindowTest {

  private final FakeClock clock = new FakeClock();
  private final StripedCounters counters = new StripedCounters(3);
  private final RollingWindow window = new RollingWindow(counters, clock, 10_000, 10);

  private void record(int slot, int times) {
    for (int i = 0; i < times; i++) {
      window.maybeRoll(clock.nanoTime());
      counters.increment(Stripes.current(), slot);
    }
  }

  private long[] counts() {
    long[] out = new long[3];
    window.windowCounts(clock.nanoTime(), out);
    return out;
  }

  @Test
  void countsEverythingWithinTheWindow() {
    record(0, 5);
    clock.advanceMillis(3_500);
    record(1, 2);
    clock.advanceMillis(5_000);
    record(0, 1);
    assertThat(counts()).containsExactly(6, 2, 0);
  }

  @Test
  void dropsBucketsAsTheyLeaveTheWindow() {
    record(0, 5); // bucket 0
    clock.advanceMillis(1_000);
    record(0, 3); // bucket 1
    clock.advanceMillis(9_000); // now bucket 10: window holds buckets 1..10
    assertThat(counts()).containsExactly(3, 0, 0);
    clock.advanceMillis(1_000);
    assertThat(counts()).containsExactly(0, 0, 0);
    long[] cumulative = new long[3];
    window.cumulativeCounts(cumulative);
    assertThat(cumulative).containsExactly(8, 0, 0);
  }

  @Test
  void staysExactAcrossALongIdlePeriod() {
    record(2, 4);
    clock.advanceMillis(60_000);
    assertThat(counts()).containsExactly(0, 0, 0);
    record(2, 1);
    clock.advanceMillis(9_500);
    record(2, 2);
    assertThat(counts()).containsExactly(0, 0, 3);
  }

  @Test
  void readingWithoutWritingRollsTheWindow() {
    record(1, 7);
    clock.advanceMillis(5_000);
    assertThat(counts()).containsExactly(0, 7, 0);
    clock.advanceMillis(5_001);
    assertThat(counts()).containsExactly(0, 0, 0);
  }
}
