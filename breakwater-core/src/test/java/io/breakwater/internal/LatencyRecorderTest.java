package io.breakwater.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.breakwater.FakeClock;
import io.breakwater.metrics.LatencySnapshot;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

  @Test
  void everyValueFallsInABucketThatHoldsIt() {
    for (long v = 0; v < 1 << 20; v += 7) {
      int slot = LatencyRecorder.slotOf(v);
      assertThat(LatencyRecorder.lowest(slot)).isLessThanOrEqualTo(v);
      assertThat(LatencyRecorder.highest(slot)).isGreaterThanOrEqualTo(v);
    }
    assertThat(LatencyRecorder.slotOf(Long.MAX_VALUE)).isEqualTo(LatencyRecorder.SLOTS - 1);
    assertThat(LatencyRecorder.highest(LatencyRecorder.SLOTS - 1)).isEqualTo((1L << 31) - 1);
  }

  @Test
  void bucketsAreContiguousAndWithinThreePercent() {
    for (int slot = 1; slot < LatencyRecorder.SLOTS; slot++) {
      assertThat(LatencyRecorder.lowest(slot)).isEqualTo(LatencyRecorder.highest(slot - 1) + 1);
      long low = LatencyRecorder.lowest(slot);
      long width = LatencyRecorder.highest(slot) - low + 1;
      if (low >= 64) {
        assertThat((double) width / low).isLessThanOrEqualTo(1.0 / 32);
      }
    }
  }

  @Test
  void percentilesOfAKnownDistribution() {
    FakeClock clock = new FakeClock();
    LatencyRecorder recorder = new LatencyRecorder(clock, 60_000, 6);
    for (int ms = 1; ms <= 100; ms++) {
      recorder.record(0, ms * 1_000_000L, clock.nanoTime());
    }
    long[] counts = new long[LatencyRecorder.SLOTS];
    recorder.addWindow(clock.nanoTime(), counts);
    LatencySnapshot s = LatencyRecorder.summarize(counts);

    assertThat(s.count()).isEqualTo(100);
    assertThat((double) s.meanMicros()).isCloseTo(50_500, within(50_500 * 0.02));
    assertThat(s.percentileMicros(0)).isBetween(990L, 1010L);
    assertThat((double) s.percentileMicros(50)).isCloseTo(50_000, within(50_000 * 0.016));
    assertThat((double) s.percentileMicros(90)).isCloseTo(90_000, within(90_000 * 0.016));
    assertThat((double) s.percentileMicros(99)).isCloseTo(99_000, within(99_000 * 0.016));
    assertThat(s.percentileMillis(50)).isEqualTo(50);
    assertThat(s.percentileMicros(100)).isBetween(98_500L, 101_500L);
  }

  @Test
  void cumulativeTotalsKeepEveryLatencyEvenAfterItLeavesTheWindow() {
    FakeClock clock = new FakeClock();
    LatencyRecorder recorder = new LatencyRecorder(clock, 60_000, 6);
    long trueSum = 0;
    for (int ms = 1; ms <= 100; ms++) {
      recorder.record(0, ms * 1_000_000L, clock.nanoTime());
      trueSum += ms * 1_000L;
    }
    clock.advanceMillis(120_000);
    recorder.record(1, 5_000_000L, clock.nanoTime());
    trueSum += 5_000L;
    long[] counts = new long[LatencyRecorder.SLOTS];
    recorder.addCumulative(counts);
    io.breakwater.metrics.LatencyTotals totals = LatencyRecorder.totals(counts);
    assertThat(totals.count()).isEqualTo(101);
    assertThat((double) totals.totalMicros()).isCloseTo(trueSum, within(trueSum * 0.016));
  }

  @Test
  void oldLatenciesLeaveThePercentileWindow() {
    FakeClock clock = new FakeClock();
    LatencyRecorder recorder = new LatencyRecorder(clock, 60_000, 6);
    recorder.record(0, 500_000_000L, clock.nanoTime());
    clock.advanceMillis(61_000);
    recorder.record(0, 2_000_000L, clock.nanoTime());
    long[] counts = new long[LatencyRecorder.SLOTS];
    recorder.addWindow(clock.nanoTime(), counts);
    LatencySnapshot s = LatencyRecorder.summarize(counts);
    assertThat(s.count()).isEqualTo(1);
    assertThat(s.percentileMillis(100)).isEqualTo(2);
  }
}
