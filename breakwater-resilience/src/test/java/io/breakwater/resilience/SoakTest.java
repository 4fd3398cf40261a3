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
import io.breakwater.example.proto.Response;
import io.breakwater.grpc.CommandInterceptor;
import io.breakwater.internal.Engine;
import io.breakwater.metrics.CommandSnapshot;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5, the soak: {@code breakwater.soak.minutes} (10 under {@code -Psoak}) of mixed
 * faults at about the highest rate the machine sustains, bounded, then it stops by itself.
 *
 * <p>Four fixed commands share the load: a gRPC call through the interceptor and a thread-
 * isolated blocking gRPC call, both through the fault proxy; a semaphore-isolated gRPC call
 * straight to the server, whose own switches fail or slow it; and a local computation that
 * fails one time in ten. Besides them, 10 000 one-off command names are used once each over
 * the run, on a runtime that forgets commands idle for 5 s. The faults change every 15 s:
 * healthy, latency, stall, resets, refused connections, dropped connections, a bandwidth cap,
 * server errors, server latency.
 *
 * <p>First a 10 s calibration with eight closed-loop callers measures what the machine
 * sustains when healthy; the soak then paces the same callers at 80 % of it. The figures are
 * taken at two quiet points, after warming up and at the end (load stopped, faults healed,
 * idle commands given time to go, full GC): heap after GC within 10 %, no pending timers, only
 * the fixed commands and their pool left. Every 30 s a line shows rate, outcomes, threads,
 * heap, timers and metrics entries, and no figure may grow from the first half to the second.
 */
class SoakTest {

  private static final double MINUTES =
      Double.parseDouble(System.getProperty("breakwater.soak.minutes", "10"));
  private static final int CALLERS = 8;
  private static final int ONE_OFFS = 10_000;
  private static final Duration IDLE_EVICTION = Duration.ofSeconds(5);
  private static final Set<String> FIXED =
      Set.of("soak-grpc", "soak-thread", "soak-semaphore", "soak-local");
  private static final Request REQUEST = Request.newBuilder().setName("soak").build();

  private final AtomicLong oneOffsUsed = new AtomicLong();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong unanswered = new AtomicLong();

  @Test
  @Timeout(value = 60, unit = TimeUnit.MINUTES)
  void mixedFaultsForMinutesLeakNothing() throws Exception {
    long soakMillis = (long) (MINUTES * 60_000);
    try (BreakwaterRuntime runtime = BreakwaterRuntime.builder().idleEviction(IDLE_EVICTION)
        .build(); GrpcLoopback grpc = new GrpcLoopback()) {
      ExampleServer server = new ExampleServer();
      int port = grpc.serve(server);
      FaultProxy proxy = FaultProxy.start(port, 100_000, Duration.ofMillis(soakMillis)
          .plus(Duration.ofMinutes(5)));
      List<Runnable> commands = commands(runtime, grpc, port, proxy);

      // Calibration: what eight closed-loop callers get through when all is well.
      long calibrated = run(commands, 0, Duration.ofSeconds(10), runtime, null);
      double target = 0.8 * calibrated / 10.0;
      System.out.printf(Locale.ROOT, "[figures] soak: calibration %d calls in 10 s = %.0f/s"
          + " healthy; soak paced at %.0f calls/s for %.1f min%n", calibrated,
          calibrated / 10.0, target, MINUTES);

      // Warm up: the paced load through every fault once (3 s each), then the first quiet
      // point, so that what any fault path loads or starts once is there at both ends.
      AtomicBoolean stopWarmUp = new AtomicBoolean();
      Faults warmUpFaults = new Faults(proxy, server, Duration.ofSeconds(3));
      Thread warmUp = new Thread(() -> warmUpFaults.cycle(stopWarmUp), "soak-warm-up-faults");
      warmUp.setDaemon(true);
      warmUp.start();
      run(commands, target, Duration.ofSeconds(35), runtime, null);
      stopWarmUp.set(true);
      warmUp.join(20_000);
      Quiet start = quiet(runtime, proxy, server);
      System.out.println("[figures] soak: start " + start);

      List<Sample> samples = new ArrayList<>();
      long t0 = System.nanoTime();
      Faults faults = new Faults(proxy, server, Duration.ofSeconds(15));
      AtomicBoolean stopFaults = new AtomicBoolean();
      Thread faulter = new Thread(() -> faults.cycle(stopFaults), "soak-faults");
      faulter.setDaemon(true);
      faulter.start();
      long soakCalls;
      try {
        soakCalls = run(commands, target, Duration.ofMillis(soakMillis), runtime, s -> {
          samples.add(s);
          System.out.printf(Locale.ROOT, "[figures] soak %5.1f min: %6.0f calls/s, fault %-14s"
                  + " threads %3d (breakwater %2d), heap %4d MB, timers %4d, commands %4d,"
                  + " pools %d, one-offs used %5d%n", (System.nanoTime() - t0) / 6e10,
              s.rate, faults.current, s.threads, s.breakwaterThreads, s.heapMb, s.timers,
              s.commands, s.pools, oneOffsUsed.get());
        });
      } finally {
        stopFaults.set(true);
        faulter.join(20_000);
      }
      Quiet end = quiet(runtime, proxy, server);
      System.out.println("[figures] soak: end   " + end);

      StringBuilder outcomes = new StringBuilder();
      for (String name : FIXED) {
        CommandSnapshot c = runtime.snapshot(name);
        outcomes.append(String.format(Locale.ROOT, "%n[figures]   %-14s success %8d failure %7d"
                + " timeout %6d short-circuited %8d rejected %6d fallback %8d", name,
            c.cumulativeCount(EventType.SUCCESS), c.cumulativeCount(EventType.FAILURE),
            c.cumulativeCount(EventType.TIMEOUT), c.cumulativeCount(EventType.SHORT_CIRCUITED),
            c.cumulativeCount(EventType.SEMAPHORE_REJECTED)
                + c.cumulativeCount(EventType.THREAD_POOL_REJECTED),
            c.cumulativeCount(EventType.FALLBACK_SUCCESS)));
      }
      System.out.printf(Locale.ROOT, "[figures] soak summary: %d calls in %.1f min (%.0f/s),"
              + " unanswered %d, one-off names used %d; heap after GC %d -> %d KB (%+.1f %%);"
              + " timers %d -> %d; threads %d -> %d; commands %d -> %d; proxy: %d connections,"
              + " %d reset, %d dropped%s%n", soakCalls, MINUTES, soakCalls / (MINUTES * 60),
          unanswered.get(), oneOffsUsed.get(), start.heapKb, end.heapKb,
          100.0 * (end.heapKb - start.heapKb) / start.heapKb, start.timers, end.timers,
          start.threads, end.threads, start.commands, end.commands, proxy.accepted(),
          proxy.resets(), proxy.dropped(), outcomes);

      assertThat(unanswered.get()).as("calls that got no answer at all").isZero();
      assertThat(end.heapKb).as("heap after full GC, KB, vs start %d", start.heapKb)
          .isLessThanOrEqualTo((long) (start.heapKb * 1.10));
      assertThat(end.timers).as("timers pending with nothing in flight").isZero();
      assertThat(end.commands).as("commands left after idle eviction").isEqualTo(FIXED.size());
      assertThat(end.pools).isEqualTo(1);
      assertThat(end.threads).as("threads at the end vs start").isLessThanOrEqualTo(
          start.threads + 2);
      assertThat(oneOffsUsed.get()).isGreaterThanOrEqualTo((long) (ONE_OFFS * 0.95));
      // Nothing grows: the second half's peaks are no higher than the first half's (a run
      // shorter than two minutes has too few 30 s samples to compare halves).
      if (samples.size() >= 4) {
        List<Sample> first = samples.subList(0, samples.size() / 2);
        List<Sample> second = samples.subList(samples.size() / 2, samples.size());
        assertThat(max(second, s -> s.threads)).as("peak threads, second half vs first")
            .isLessThanOrEqualTo(max(first, s -> s.threads) + 2);
        assertThat(max(second, s -> s.commands)).as("peak commands, second half vs first")
            .isLessThanOrEqualTo(max(first, s -> s.commands) + 50);
        assertThat(max(second, s -> s.timers)).as("peak timers, second half vs first")
            .isLessThanOrEqualTo(Math.max(200, max(first, s -> s.timers) * 2));
      }
      assertThat(samples).allSatisfy(s -> assertThat(s.pools).isEqualTo(1));
      // One-offs are forgotten within the idle period plus a sweep: the live count stays near
      // the number used in that time.
      double perSecond = ONE_OFFS / (MINUTES * 60);
      long bound = FIXED.size() + (long) (perSecond * IDLE_EVICTION.toSeconds() * 2) + 100;
      assertThat(max(samples, s -> s.commands)).as("live commands, bound %d", bound)
          .isLessThanOrEqualTo(bound);
    }
  }

  private static long max(List<Sample> samples, java.util.function.ToLongFunction<Sample> f) {
    return samples.stream().mapToLong(f).max().orElse(0);
  }

  /** The four fixed commands, each as one call that always returns (answer or fallback). */
  private List<Runnable> commands(BreakwaterRuntime runtime, GrpcLoopback grpc, int port,
      FaultProxy proxy) {
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime)
        .command(ExampleServiceGrpc.getEndpointMethod(), "soak-grpc")
        .config(ExampleServiceGrpc.getEndpointMethod(), CommandConfig.builder()
            .timeoutMillis(100).maxConcurrentRequests(50).sleepWindowMillis(1000).build())
        .fallback(ExampleServiceGrpc.getEndpointMethod(), (request, kind, cause) ->
            Response.newBuilder().setMsg("fallback").build())
        .build();
    ExampleServiceGrpc.ExampleServiceBlockingStub viaInterceptor =
        ExampleServiceGrpc.newBlockingStub(grpc.channel(proxy.port(), interceptor));
    ExampleServiceGrpc.ExampleServiceBlockingStub viaProxy =
        ExampleServiceGrpc.newBlockingStub(grpc.channel(proxy.port()));
    ExampleServiceGrpc.ExampleServiceBlockingStub direct =
        ExampleServiceGrpc.newBlockingStub(grpc.channel(port));
    runtime.configure("soak-thread", CommandConfig.builder().isolation(Isolation.THREAD)
        .threadPoolKey("soak-pool").timeoutMillis(150).sleepWindowMillis(1000).build());
    runtime.configureThreadPool("soak-pool", ThreadPoolConfig.builder().coreSize(10).build());
    runtime.configure("soak-semaphore", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .timeoutMillis(200).maxConcurrentRequests(20).sleepWindowMillis(1000).build());
    runtime.configure("soak-local", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .timeoutMillis(100).maxConcurrentRequests(20).build());
    runtime.configureDefault(CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    List<Runnable> list = new ArrayList<>();
    list.add(() -> answered(viaInterceptor.endpoint(REQUEST).getMsg()));
    list.add(() -> answered(runtime.execute("soak-thread",
        () -> viaProxy.endpoint(REQUEST).getMsg(), (k, c) -> "fallback")));
    list.add(() -> answered(runtime.execute("soak-semaphore",
        () -> direct.endpoint(REQUEST).getMsg(), (k, c) -> "fallback")));
    list.add(() -> answered(runtime.execute("soak-local", () -> {
      if (ThreadLocalRandom.current().nextInt(10) == 0) {
        throw new IllegalStateException("one in ten");
      }
      return Long.toHexString(ThreadLocalRandom.current().nextLong());
    }, (k, c) -> "fallback")));
    return list;
  }

  private void answered(String answer) {
    if (answer == null || answer.isEmpty()) {
      unanswered.incrementAndGet();
    }
  }

  /**
   * Eight callers for {@code length}: closed loop when {@code rate} is 0, else paced at
   * {@code rate} calls a second in all; one-off names are used as they fall due. Samples every
   * 30 s go to {@code sampler} when given. Returns the calls made.
   */
  private long run(List<Runnable> commands, double rate, Duration length,
      BreakwaterRuntime runtime, Consumer<Sample> sampler) throws InterruptedException {
    long before = calls.get();
    long end = System.nanoTime() + length.toNanos();
    long intervalNanos = rate > 0 ? (long) (CALLERS * 1e9 / rate) : 0;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      Thread t = new Thread(() -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long next = System.nanoTime();
        while (System.nanoTime() < end) {
          try {
            commands.get(random.nextInt(commands.size())).run();
          } catch (RuntimeException e) {
            unanswered.incrementAndGet();
          }
          calls.incrementAndGet();
          if (intervalNanos > 0) {
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
              sleepNanos(wait);
            } else if (wait < -1_000_000_000L) {
              next = System.nanoTime(); // far behind: do not burst to catch up
            }
          }
        }
      }, "soak-caller-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    Thread oneOffs = null;
    if (sampler != null) {
      double perSecond = ONE_OFFS / (length.toNanos() / 1e9);
      oneOffs = new Thread(() -> {
        long start = System.nanoTime();
        while (System.nanoTime() < end && oneOffsUsed.get() < ONE_OFFS) {
          long due = (long) ((System.nanoTime() - start) / 1e9 * perSecond);
          while (oneOffsUsed.get() < Math.min(due, ONE_OFFS)) {
            long n = oneOffsUsed.incrementAndGet();
            runtime.execute("one-off-" + n, () -> "once", (k, c) -> "fallback");
          }
          sleepNanos(20_000_000L);
        }
      }, "soak-one-offs");
      oneOffs.setDaemon(true);
      oneOffs.start();
      long lastCalls = calls.get();
      long lastAt = System.nanoTime();
      while (System.nanoTime() < end) {
        sleepNanos(Math.min(30_000_000_000L, end - System.nanoTime()));
        long now = System.nanoTime();
        long c = calls.get();
        sampler.accept(sample(runtime, (c - lastCalls) / ((now - lastAt) / 1e9)));
        lastCalls = c;
        lastAt = now;
      }
    }
    for (Thread t : threads) {
      t.join();
    }
    if (oneOffs != null) {
      oneOffs.join();
    }
    return calls.get() - before;
  }

  private static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The fault program, one fault per phase, in a cycle. */
  private static final class Faults {
    final FaultProxy proxy;
    final ExampleServer server;
    final Duration phase;
    volatile String current = "healthy";

    Faults(FaultProxy proxy, ExampleServer server, Duration phase) {
      this.proxy = proxy;
      this.server = server;
      this.phase = phase;
    }

    void cycle(AtomicBoolean stop) {
      String[] program = {"healthy", "latency 20 ms", "stall", "healthy", "resets",
          "refused", "drop 50 %", "bandwidth 20kB/s", "server errors", "server latency",
          "healthy"};
      int i = 0;
      while (!stop.get()) {
        String fault = program[i++ % program.length];
        proxy.heal();
        server.heal();
        proxy.resetAll(); // faults apply to fresh connections too
        current = fault;
        switch (fault) {
          case "latency 20 ms":
            proxy.latency(Duration.ofMillis(20));
            break;
          case "stall":
            proxy.stall(true);
            break;
          case "refused":
            proxy.refuse(true);
            break;
          case "drop 50 %":
            proxy.dropFraction(0.5);
            break;
          case "bandwidth 20kB/s":
            proxy.bandwidth(20_000);
            break;
          case "server errors":
            server.errorRate(0.5);
            break;
          case "server latency":
            server.latency(Duration.ofMillis(50));
            break;
          default:
            break;
        }
        long end = System.nanoTime() + phase.toNanos();
        while (!stop.get() && System.nanoTime() < end) {
          sleepNanos(Math.min(1_000_000_000L, Math.max(0, end - System.nanoTime())));
          if (fault.equals("resets")) {
            proxy.resetAll();
          }
        }
      }
      proxy.heal();
      server.heal();
      current = "healed";
    }
  }

  /** The figures of one moment. */
  private static final class Sample {
    double rate;
    int threads;
    int breakwaterThreads;
    long heapMb;
    int timers;
    int commands;
    int pools;
  }

  private static Sample sample(BreakwaterRuntime runtime, double rate) {
    Sample s = new Sample();
    s.rate = rate;
    s.threads = ThreadCensus.count();
    s.breakwaterThreads = ThreadCensus.live(t -> t.getName().startsWith("breakwater-")).size();
    s.heapMb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    s.timers = pendingTimers(runtime);
    var snapshot = runtime.snapshot();
    s.commands = snapshot.commands().size();
    s.pools = snapshot.threadPools().size();
    return s;
  }

  /** A quiet point: load stopped, faults healed, idle commands gone, full GC. */
  private static final class Quiet {
    long heapKb;
    int timers;
    int threads;
    int commands;
    int pools;

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "heap after GC %d KB, timers %d, threads %d"
          + " (%s), commands %d, pools %d", heapKb, timers, threads,
          ThreadCensus.names(t -> t.getName().startsWith("breakwater-")).size()
              + " breakwater", commands, pools);
    }
  }

  private static Quiet quiet(BreakwaterRuntime runtime, FaultProxy proxy, ExampleServer server)
      throws InterruptedException {
    proxy.heal();
    server.heal();
    // Idle one-offs go once they have been idle for the period and a sweep has run.
    long deadline = System.nanoTime() + IDLE_EVICTION.multipliedBy(3).toNanos();
    while (System.nanoTime() < deadline
        && runtime.snapshot().commands().size() > FIXED.size()) {
      Thread.sleep(250);
    }
    Quiet q = new Quiet();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    q.heapKb = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 10;
    q.timers = pendingTimers(runtime);
    q.threads = ThreadCensus.count();
    var snapshot = runtime.snapshot();
    q.commands = snapshot.commands().size();
    q.pools = snapshot.threadPools().size();
    return q;
  }

  /**
   * Timeouts waiting in the runtime's timer. Core does not publish the figure, so this reads
   * the timer's queue by reflection; the soak needs it to see leaked timeouts.
   */
  private static int pendingTimers(BreakwaterRuntime runtime) {
    try {
      Field timerField = Engine.class.getDeclaredField("timer");
      timerField.setAccessible(true);
      Object timer = timerField.get(runtime.engine());
      Field executorField = timer.getClass().getDeclaredField("executor");
      executorField.setAccessible(true);
      ScheduledThreadPoolExecutor executor =
          (ScheduledThreadPoolExecutor) executorField.get(timer);
      return executor == null ? 0 : executor.getQueue().size();
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot read the runtime's timer queue", e);
    }
  }
}
