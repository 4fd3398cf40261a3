package io.breakwater.benchmarks;

import com.netflix.hystrix.HystrixCommand;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.Fallback;
import io.breakwater.FailureKind;
import io.breakwater.internal.VirtualThreads;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.ThreadPoolBulkhead;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * P6, capacity: {@code callers} platform threads call a dependency that blocks for
 * {@code blockMillis} on every call, as fast as they can, through one library's isolation. The
 * ideal is {@code callers * 1000 / blockMillis} calls a second (25,000 for 500 callers and
 * 20 ms). After a warm-up (pools fill, code compiles) it counts for {@code seconds}: answers,
 * rejections, timeouts, short-circuits and failures, the platform threads the library added on
 * top of the callers (peak), and the process's CPU time per call.
 *
 * <p>Not a JMH benchmark: what matters is a rate under a fixed load, not a time per operation.
 * Prints one line: {@code P6,library,callers,seconds,calls,calls_per_second,rejections,timeouts,
 * short_circuits,failures,library_threads,peak_platform_threads,cpu_us_per_call,jdk}.
 *
 * <p>Usage: {@code Capacity <library> [callers] [blockMillis] [seconds] [warmupSeconds]}, with
 * library one of {@code baseline} (the callers call the dependency themselves: what this machine
 * can do at all), {@code breakwater-virtual} (Java 21+), {@code breakwater}, {@code hystrix},
 * {@code resilience4j}.
 */
public final class Capacity {

  private final LongAdder answers = new LongAdder();
  private final LongAdder rejections = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder shortCircuits = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private volatile boolean running = true;
  private volatile boolean counting;

  /** One library's way of making the call; answers, or counts why it did not and returns. */
  private interface Target extends AutoCloseable {
    void call() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Capacity <library> [callers] [blockMillis] [seconds] [warmup]");
      System.exit(2);
    }
    String library = args[0];
    int callers = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    long blockMillis = args.length > 2 ? Long.parseLong(args[2]) : 20;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    new Capacity().run(library, callers, blockMillis, seconds, warmup);
    System.exit(0);
  }

  private void run(String library, int callers, long blockMillis, int seconds, int warmup)
      throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int before = threads.getThreadCount();
    threads.resetPeakThreadCount();
    Callable<String> dependency = Dependency.blocking(blockMillis);

    try (Target target = target(library, callers, dependency)) {
      List<Thread> workers = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        Thread t = new Thread(() -> loop(target), "caller-" + i);
        t.setDaemon(true);
        workers.add(t);
      }
      workers.forEach(Thread::start);

      Thread.sleep(warmup * 1000L);
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      counting = true;
      Thread.sleep(seconds * 1000L);
      counting = false;
      long elapsed = System.nanoTime() - t0;
      long cpu = processCpuNanos() - cpu0;
      int peak = threads.getPeakThreadCount();
      running = false;
      for (Thread t : workers) {
        t.join(5_000);
      }

      long calls = answers.sum();
      double perSecond = calls * 1e9 / elapsed;
      long total = calls + rejections.sum() + timeouts.sum() + shortCircuits.sum()
          + failures.sum();
      System.out.printf(Locale.ROOT, "P6,%s,%d,%d,%d,%.1f,%d,%d,%d,%d,%d,%d,%.2f,%s%n",
          library, callers, seconds, calls, perSecond, rejections.sum(), timeouts.sum(),
          shortCircuits.sum(), failures.sum(), peak - before - callers, peak,
          total == 0 ? 0.0 : cpu / 1000.0 / total, Runtime.version());
    }
  }

  private void loop(Target target) {
    while (running) {
      try {
        target.call();
      } catch (Exception | Error e) {
        count(failures);
      }
    }
  }

  private void count(LongAdder outcome) {
    if (counting) {
      outcome.increment();
    }
  }

  private Target target(String library, int callers, Callable<String> dependency) {
    switch (library) {
      case "baseline":
        return new Target() {
          @Override
          public void call() throws Exception {
            dependency.call();
            count(answers);
          }

          @Override
          public void close() {}
        };
      case "breakwater-virtual":
        if (!VirtualThreads.available()) {
          throw new IllegalStateException("breakwater-virtual needs Java 21+, this is "
              + Runtime.version());
        }
        return breakwater(BreakwaterRuntime.create()
            .configure("P6", BreakwaterSetup.virtual(callers)), dependency);
      case "breakwater":
        return breakwater(BreakwaterRuntime.create()
            .configureThreadPool("P6", BreakwaterSetup.pool(callers))
            .configure("P6", BreakwaterSetup.threadIsolated("P6")), dependency);
      case "hystrix":
        return hystrix(HystrixSetup.threadIsolated("P6", callers), dependency);
      case "resilience4j":
        return resilience4j(callers, dependency);
      default:
        throw new IllegalArgumentException("unknown library " + library);
    }
  }

  private Target breakwater(BreakwaterRuntime runtime, Callable<String> dependency) {
    Fallback<String> fallback = (kind, cause) -> {
      count(kind == FailureKind.REJECTED ? rejections
          : kind == FailureKind.TIMED_OUT ? timeouts
          : kind == FailureKind.SHORT_CIRCUITED ? shortCircuits : failures);
      return Dependency.FALLBACK;
    };
    return new Target() {
      @Override
      public void call() {
        String answer = runtime.execute("P6", dependency, fallback);
        if (answer != Dependency.FALLBACK) {
          count(answers);
        }
      }

      @Override
      public void close() {
        runtime.close();
      }
    };
  }

  private Target hystrix(HystrixCommand.Setter setter, Callable<String> dependency) {
    return new Target() {
      @Override
      public void call() {
        HystrixSetup.Call c = new HystrixSetup.Call(setter, dependency);
        c.execute();
        count(c.isSuccessfulExecution() ? answers
            : c.isResponseRejected() ? rejections
            : c.isResponseTimedOut() ? timeouts
            : c.isResponseShortCircuited() ? shortCircuits : failures);
      }

      @Override
      public void close() {
        HystrixSetup.shutdown();
      }
    };
  }

  private Target resilience4j(int callers, Callable<String> dependency) {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    ThreadPoolBulkhead pool = Resilience4jSetup.threadPool("P6", callers);
    Supplier<CompletionStage<String>> decorated =
        Resilience4jSetup.threadIsolated(pool, dependency, scheduler);
    return new Target() {
      @Override
      public void call() throws InterruptedException {
        try {
          decorated.get().toCompletableFuture().get();
          count(answers);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          count(cause instanceof BulkheadFullException ? rejections
              : cause instanceof TimeoutException ? timeouts
              : cause instanceof CallNotPermittedException ? shortCircuits : failures);
        }
      }

      @Override
      public void close() throws Exception {
        pool.close();
        scheduler.shutdownNow();
      }
    };
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }
}
