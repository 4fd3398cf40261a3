package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.HealthCounts;
import io.breakwater.metrics.LatencySnapshot;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Breakwater's metrics structures alone, at one and two threads ({@code -t 2}), sharing one
 * command's metrics as two request threads would. It lives in core's internal package (a split
 * package on the benchmark's class path) because the structures are package-private.
 *
 * <p>Record: what one success adds ({@link #recordSuccess}: an event count and a latency), and
 * each half alone; {@link #hdrRecorder} records the same latencies into HdrHistogram's
 * concurrent {@link Recorder}, the structure DESIGN.md named first, for comparison. Snapshot: the
 * health the breaker reads on the error path, the latency percentiles, and the whole command
 * snapshot published every 500 ms, each over metrics holding a million recorded calls.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class MetricsStructures {

  @Benchmark
  public void recordSuccess(Metrics m, Sample s) {
    int stripe = Stripes.current();
    m.metrics.count(stripe, EventType.SUCCESS);
    m.metrics.latency(stripe, CommandMetrics.Latency.SHARED, s.next(), m.now);
  }

  @Benchmark
  public void countEvent(Metrics m) {
    m.metrics.count(Stripes.current(), EventType.SUCCESS);
  }

  @Benchmark
  public void recordLatency(Metrics m, Sample s) {
    m.latency.record(Stripes.current(), s.next(), m.now);
  }

  @Benchmark
  public void hdrRecorder(Metrics m, Sample s) {
    m.hdr.recordValue(s.next() / 1000);
  }

  @Benchmark
  public HealthCounts health(Metrics m) {
    return m.metrics.health(System.nanoTime());
  }

  @Benchmark
  public LatencySnapshot percentiles(Metrics m) {
    return m.metrics.executionLatency(System.nanoTime());
  }

  @Benchmark
  public CommandSnapshot commandSnapshot(Metrics m) {
    return m.command.snapshot();
  }

  /** One command's metrics, shared by the benchmark's threads, filled with a million calls. */
  @State(Scope.Benchmark)
  public static class Metrics {
    CommandMetrics metrics;
    LatencyRecorder latency;
    CommandState command;
    Recorder hdr;
    long now;

    @Setup(Level.Trial)
    public void setUp() {
      CommandConfig config = CommandConfig.defaults();
      metrics = new CommandMetrics(Clock.SYSTEM, new StripedSemaphore(10), config);
      latency = new LatencyRecorder(Clock.SYSTEM, config.rollingPercentileWindowMillis(),
          config.rollingPercentileBuckets());
      command = new CommandState("metrics", Clock.SYSTEM, config, new Listeners());
      hdr = new Recorder(3);
      now = System.nanoTime();
      Sample sample = new Sample();
      for (int i = 0; i < 1_000_000; i++) {
        long nanos = sample.next();
        int stripe = i & Stripes.MASK;
        metrics.count(stripe, i % 20 == 0 ? EventType.FAILURE : EventType.SUCCESS);
        metrics.latency(stripe, CommandMetrics.Latency.SHARED, nanos, now);
        command.metrics.count(stripe, i % 20 == 0 ? EventType.FAILURE : EventType.SUCCESS);
        command.metrics.latency(stripe, CommandMetrics.Latency.SHARED, nanos, now);
      }
    }
  }

  /** Latencies of 1 µs to about 8 ms, spread over many magnitudes, from a per-thread xorshift. */
  @State(Scope.Thread)
  public static class Sample {
    private long x = System.nanoTime() | 1;

    long next() {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      int magnitude = (int) ((x >>> 40) % 12);
      return 1000L + ((x & 0xFFFF) << magnitude) / 16;
    }
  }
}
