package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.event.EventType;
import io.breakwater.example.ExampleServer;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2, isolation: dependencies A and B run on separate thread pools; A stalls (its fault
 * proxy accepts and never answers) while B keeps serving. B's p99 with A stalled must stay
 * within 10 % of its p99 with A healthy.
 *
 * <p>B's server answers after 50 ms, so that its p99 is a figure a 2-core machine can hold to
 * 10 % (5 ms) rather than scheduling noise around a sub-millisecond call. A's callers keep the
 * same pace in both conditions, with A's breaker disabled so that A's pool stays full of stuck
 * calls for the whole stalled phase (the worst case for its neighbours): twelve callers, each
 * pausing 40 ms between calls, fill A's ten threads once A stalls. The two conditions
 * alternate every second, ten times, and each pools its samples, so that a passing burst of load
 * on the machine does not land on one condition only; calls that straddle a switch are left
 * out. B talks to its server directly: its proxy would only add thread hops to the figure.
 */
class IsolationTest {

  private static final Request REQUEST = Request.newBuilder().setName("iso").build();
  private static final int B_LATENCY_MILLIS = 50;
  private static final long PHASE_MILLIS = 1000;
  private static final int ROUNDS = 10;
  private static final long SETTLE_MILLIS = 200;

  /** What the B callers are measuring now: 0 healthy, 1 stalled, -1 a switch in progress. */
  private volatile int phase = -1;
  private volatile int round;
  private final java.util.Map<Integer, Latencies> perRound = new java.util.TreeMap<>();

  @Test
  void aStalledNeighbourDoesNotMoveTheOtherDependencysP99() throws Exception {
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        GrpcLoopback grpc = new GrpcLoopback()) {
      ExampleServer serverA = new ExampleServer();
      ExampleServer serverB = new ExampleServer().latency(Duration.ofMillis(B_LATENCY_MILLIS));
      FaultProxy proxyA = FaultProxy.start(grpc.serve(serverA), 100, Duration.ofMinutes(2));
      ExampleServiceGrpc.ExampleServiceBlockingStub stubA =
          ExampleServiceGrpc.newBlockingStub(grpc.channel(proxyA.port()));
      ExampleServiceGrpc.ExampleServiceBlockingStub stubB =
          ExampleServiceGrpc.newBlockingStub(grpc.channel(grpc.serve(serverB)));
      runtime.configure("dep-A", CommandConfig.builder().isolation(Isolation.THREAD)
          .threadPoolKey("pool-A").timeoutMillis(100).circuitBreakerEnabled(false).build());
      runtime.configure("dep-B", CommandConfig.builder().isolation(Isolation.THREAD)
          .threadPoolKey("pool-B").timeoutMillis(1000).build());
      runtime.configureThreadPool("pool-A", ThreadPoolConfig.builder().coreSize(10).build());
      runtime.configureThreadPool("pool-B", ThreadPoolConfig.builder().coreSize(10).build());

      AtomicBoolean stop = new AtomicBoolean();
      List<Latencies> bHealthy = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<Latencies> bStalled = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<String> rounds = new ArrayList<>();
      AtomicInteger bErrors = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Latencies healthy = new Latencies();
        Latencies stalled = new Latencies();
        bHealthy.add(healthy);
        bStalled.add(stalled);
        threads.add(new Thread(() -> {
          while (!stop.get()) {
            int at = phase;
            long begin = System.nanoTime();
            String answer = runtime.execute("dep-B", () -> stubB.endpoint(REQUEST).getMsg(),
                (kind, cause) -> "fallback");
            long took = System.nanoTime() - begin;
            if (!answer.startsWith("Hello")) {
              bErrors.incrementAndGet();
            }
            if (at == phase && at >= 0) {
              (at == 0 ? healthy : stalled).record(took);
              synchronized (perRound) {
                perRound.computeIfAbsent(round * 2 + at, k -> new Latencies()).record(took);
              }
            }
          }
        }, "caller-B-" + i));
      }
      for (int i = 0; i < 12; i++) {
        threads.add(new Thread(() -> {
          while (!stop.get()) {
            runtime.execute("dep-A", () -> stubA.endpoint(REQUEST).getMsg(),
                (kind, cause) -> "fallback");
            try {
              Thread.sleep(40);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "caller-A-" + i));
      }
      threads.forEach(Thread::start);
      int aPoolBusyMax = 0;
      try {
        Thread.sleep(2000); // warm-up, not measured
        for (round = 0; round < ROUNDS; round++) {
          for (int condition = 0; condition < 2; condition++) {
            phase = -1;
            proxyA.stall(condition == 1);
            Thread.sleep(SETTLE_MILLIS);
            phase = condition;
            long end = System.currentTimeMillis() + PHASE_MILLIS;
            while (System.currentTimeMillis() < end) {
              Thread.sleep(100);
              if (condition == 1) {
                aPoolBusyMax = Math.max(aPoolBusyMax, pool(runtime, "pool-A").activeCount());
              }
            }
          }
        }
      } finally {
        phase = -1;
        stop.set(true);
        proxyA.heal();
        for (Thread t : threads) {
          t.join(5000);
        }
      }
      Latencies healthy = Latencies.merge(bHealthy);
      Latencies stalled = Latencies.merge(bStalled);
      CommandSnapshot a = runtime.snapshot("dep-A");
      double p99Healthy = healthy.percentileMillis(99);
      double p99Stalled = stalled.percentileMillis(99);
      System.out.printf(Locale.ROOT, "[figures] scenario 2 isolation: B (own pool, server 50 ms)"
          + " with A healthy: %s%n", healthy.summary());
      System.out.printf(Locale.ROOT, "[figures] scenario 2 isolation: B with A stalled:    %s;"
              + " p99 ratio %.3f (bound 1.10)%n", stalled.summary(), p99Stalled / p99Healthy);
      synchronized (perRound) {
        StringBuilder line = new StringBuilder("[figures]   B p99 per round, A healthy/stalled:");
        perRound.forEach((k, v) -> line.append(k % 2 == 0 ? " " : "/")
            .append(String.format(Locale.ROOT, "%.1f", v.percentileMillis(99))));
        System.out.println(line.append(" ms"));
      }
      System.out.printf("[figures]   A while stalled: pool-A busy threads up to %d of 10;"
              + " A events: timeouts %d, thread-pool rejections %d, successes %d;"
              + " B fallbacks %d%n", aPoolBusyMax, a.cumulativeCount(EventType.TIMEOUT),
          a.cumulativeCount(EventType.THREAD_POOL_REJECTED),
          a.cumulativeCount(EventType.SUCCESS), bErrors.get());

      assertThat(a.cumulativeCount(EventType.TIMEOUT)).as("A really stalled").isPositive();
      assertThat(aPoolBusyMax).as("A's pool filled with stuck calls").isEqualTo(10);
      assertThat(a.cumulativeCount(EventType.THREAD_POOL_REJECTED)).as("A's pool overflowed")
          .isPositive();
      assertThat(bErrors.get()).as("B never fell back").isZero();
      assertThat(healthy.count()).isGreaterThan(1000);
      assertThat(stalled.count()).isGreaterThan(1000);
      assertThat(p99Stalled).as("B's p99 with A stalled vs healthy (%.1f ms)", p99Healthy)
          .isLessThanOrEqualTo(p99Healthy * 1.10);
      proxyA.close();
    }
  }

  private static ThreadPoolSnapshot pool(BreakwaterRuntime runtime, String key) {
    return runtime.snapshot().threadPools().stream().filter(p -> p.name().equals(key))
        .findFirst().orElseThrow();
  }
}
