package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.event.EventType;
import io.breakwater.metrics.HealthCounts;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.LatencyTotals;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The rolling and cumulative figures of one command: event counts, health, concurrency peaks
 * and latency. Writers touch only their own stripe; readers (snapshots, and the breaker on the
 * error path) add the stripes up.
 *
 * <p>Latency is kept in three recorders. Under semaphore isolation the time spent in
 * {@code run} and the time the caller waited are one and the same measurement, so it is
 * recorded once, in the shared recorder, and reported as both; thread and virtual isolation
 * measure the two separately.
 */
final class CommandMetrics {

  static final int EVENTS = EventType.values().length;
  private static final int[] HEALTH_SLOTS = {
    EventType.SUCCESS.ordinal(), EventType.FAILURE.ordinal(), EventType.TIMEOUT.ordinal(),
    EventType.THREAD_POOL_REJECTED.ordinal(), EventType.SEMAPHORE_REJECTED.ordinal()
  };

  enum Latency { SHARED, EXECUTION, TOTAL }

  private final Clock clock;
  private final StripedSemaphore concurrency;
  private final StripedCounters events = new StripedCounters(EVENTS);
  private volatile RollingWindow window;
  private volatile AtomicLongArray peaks;
  /** The bucket of {@link #sampledPeak}; guarded by this. */
  private long sampledBucket = -1;
  /** The highest total in use sampled during {@link #sampledBucket}; guarded by this. */
  private long sampledPeak;
  private volatile LatencyRecorder shared;
  private volatile LatencyRecorder execution;
  private volatile LatencyRecorder total;
  private volatile int percentileWindowMillis;
  private volatile int percentileBuckets;
  private volatile boolean percentilesEnabled;
  /** Cumulative counts when health was last reset (a circuit closed), or null. */
  private volatile long[] healthBaseline;

  CommandMetrics(Clock clock, StripedSemaphore concurrency, CommandConfig config) {
    this.clock = clock;
    this.concurrency = concurrency;
    this.window = newWindow(config.rollingStatsWindowMillis(), config.rollingStatsBuckets());
    this.percentileWindowMillis = config.rollingPercentileWindowMillis();
    this.percentileBuckets = config.rollingPercentileBuckets();
    this.percentilesEnabled = config.rollingPercentileEnabled();
    this.shared = newRecorder();
  }

  /** Follows a configuration change; windows are rebuilt only when their shape changed. */
  synchronized void reconfigure(CommandConfig config) {
    percentilesEnabled = config.rollingPercentileEnabled();
    RollingWindow w = window;
    if (w.buckets() != config.rollingStatsBuckets()
        || w.bucketNanos() * w.buckets() != config.rollingStatsWindowMillis() * 1_000_000L) {
      window = newWindow(config.rollingStatsWindowMillis(), config.rollingStatsBuckets());
    }
    if (percentileWindowMillis != config.rollingPercentileWindowMillis()
        || percentileBuckets != config.rollingPercentileBuckets()) {
      percentileWindowMillis = config.rollingPercentileWindowMillis();
      percentileBuckets = config.rollingPercentileBuckets();
      shared = newRecorder();
      execution = execution == null ? null : newRecorder();
      total = total == null ? null : newRecorder();
    }
  }

  /** Rolls the bucket if due; call once per execution before counting. */
  void maybeRoll(long now) {
    window.maybeRoll(now);
  }

  /** The current rolling bucket, for concurrency peaks. */
  long bucket() {
    return window.currentBucket();
  }

  void count(int stripe, EventType type) {
    events.increment(stripe, type.ordinal());
  }

  void add(int stripe, EventType type, long delta) {
    events.add(stripe, type.ordinal(), delta);
  }

  void latency(int stripe, Latency kind, long nanos, long now) {
    if (percentilesEnabled) {
      recorder(kind).record(stripe, nanos, now);
    }
  }

  private LatencyRecorder recorder(Latency kind) {
    switch (kind) {
      case SHARED:
        return shared;
      case EXECUTION:
        LatencyRecorder e = execution;
        return e != null ? e : createSeparate(Latency.EXECUTION);
      default:
        LatencyRecorder t = total;
        return t != null ? t : createSeparate(Latency.TOTAL);
    }
  }

  /**
   * Creates the execution or total recorder on its first sample. Two threads may both find it
   * missing; the lock makes them agree on one, so no sample goes to a recorder nobody reads.
   */
  private synchronized LatencyRecorder createSeparate(Latency kind) {
    if (kind == Latency.EXECUTION) {
      if (execution == null) {
        execution = newRecorder();
      }
      return execution;
    }
    if (total == null) {
      total = newRecorder();
    }
    return total;
  }

  /** Health over the rolling window, computed now: used on the error path and in snapshots. */
  HealthCounts health(long now) {
    long[] counts = new long[EVENTS];
    window.windowCounts(now, counts);
    long[] baseline = healthBaseline;
    if (baseline != null) {
      long[] cumulative = new long[EVENTS];
      window.cumulativeCounts(cumulative);
      for (int slot : HEALTH_SLOTS) {
        // Events since the reset: never more than the window holds.
        counts[slot] = Math.min(counts[slot], cumulative[slot] - baseline[slot]);
      }
    }
    long success = counts[EventType.SUCCESS.ordinal()];
    long errors = counts[EventType.FAILURE.ordinal()] + counts[EventType.TIMEOUT.ordinal()]
        + counts[EventType.THREAD_POOL_REJECTED.ordinal()]
        + counts[EventType.SEMAPHORE_REJECTED.ordinal()];
    return new HealthCounts(success + errors, errors);
  }

  /** Starts health from zero, as when a circuit closes; rolling counts are kept. */
  void resetHealth() {
    long[] cumulative = new long[EVENTS];
    window.cumulativeCounts(cumulative);
    healthBaseline = cumulative;
  }

  void rollingCounts(long now, long[] out) {
    window.windowCounts(now, out);
  }

  void cumulativeCounts(long[] out) {
    window.cumulativeCounts(out);
  }

  long cumulative(EventType type) {
    return events.sum(type.ordinal());
  }

  /**
   * The highest concurrency in the rolling window, current bucket included: per bucket, the
   * highest of what any one stripe saw and of the total in use each time the metrics were read
   * (every stream tick). A lower bound of the true peak, exact when callers share a stripe or
   * when the concurrency lasts across a read; never more than really ran.
   */
  long rollingMaxConcurrency(long now) {
    RollingWindow w = window;
    w.maybeRoll(now);
    long current = w.currentBucket();
    long max = Math.max(concurrency.peak(current), sample(current));
    AtomicLongArray ring = peaks;
    if (ring != null) {
      int slots = ring.length() / 2;
      for (int i = 0; i < slots; i++) {
        long bucket = ring.get(2 * i);
        if (bucket > current - w.buckets() && bucket < current) {
          max = Math.max(max, ring.get(2 * i + 1));
        }
      }
    }
    return max;
  }

  LatencySnapshot executionLatency(long now) {
    return merged(now, execution);
  }

  LatencySnapshot totalLatency(long now) {
    return merged(now, total);
  }

  LatencyTotals executionTotals() {
    return totals(execution);
  }

  LatencyTotals totalTotals() {
    return totals(total);
  }

  private LatencyTotals totals(LatencyRecorder separate) {
    long[] counts = new long[LatencyRecorder.SLOTS];
    shared.addCumulative(counts);
    if (separate != null) {
      separate.addCumulative(counts);
    }
    return LatencyRecorder.totals(counts);
  }

  private LatencySnapshot merged(long now, LatencyRecorder separate) {
    long[] counts = new long[LatencyRecorder.SLOTS];
    shared.addWindow(now, counts);
    if (separate != null) {
      separate.addWindow(now, counts);
    }
    return LatencyRecorder.summarize(counts);
  }

  private RollingWindow newWindow(int windowMillis, int buckets) {
    AtomicLongArray ring = new AtomicLongArray(2 * (buckets + 1));
    for (int i = 0; i < buckets + 1; i++) {
      ring.set(2 * i, -1);
    }
    peaks = ring;
    return new RollingWindow(events, clock, windowMillis, buckets, (closed, opened) -> {
      int slot = (int) (closed % (buckets + 1));
      ring.set(2 * slot + 1, Math.max(concurrency.peak(closed), sample(closed)));
      ring.set(2 * slot, closed);
    });
  }

  /**
   * Samples the total in use now into {@code bucket}'s sampled peak and returns that peak (a
   * bucket that has already been left keeps what it had).
   */
  private synchronized long sample(long bucket) {
    long inUse = concurrency.inUse();
    if (bucket > sampledBucket) {
      sampledBucket = bucket;
      sampledPeak = inUse;
    } else if (bucket == sampledBucket) {
      sampledPeak = Math.max(sampledPeak, inUse);
    } else {
      return 0; // an older bucket: its sample was superseded
    }
    return sampledPeak;
  }

  private LatencyRecorder newRecorder() {
    return new LatencyRecorder(clock, percentileWindowMillis, percentileBuckets);
  }
}
