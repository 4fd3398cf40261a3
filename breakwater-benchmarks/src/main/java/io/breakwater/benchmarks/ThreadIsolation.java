package io.breakwater.benchmarks;

import com.netflix.hystrix.HystrixCommand;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import io.github.resilience4j.bulkhead.ThreadPoolBulkhead;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * P3: thread isolation. The caller hands the call to a pool of 10 threads and waits for the
 * answer, with a 1 s timeout armed and a circuit breaker in front. {@link #plainPool} is the
 * floor: submit to {@code Executors.newFixedThreadPool(10)} and wait on the future, no timeout,
 * no breaker, no metrics. On a machine this small the two thread wake-ups (the worker's, then
 * the caller's) dominate everything else.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ThreadIsolation {

  @Benchmark
  public String plainPool(PlainPool s) throws InterruptedException, ExecutionException {
    return s.pool.submit(s.dependency).get();
  }

  @Benchmark
  public String breakwater(Breakwater s) {
    return s.runtime.execute("P3", s.dependency, BreakwaterSetup.FALLBACK);
  }

  @Benchmark
  public String hystrix(Hystrix s) {
    return new HystrixSetup.Call(s.setter, s.dependency).execute();
  }

  @Benchmark
  public String resilience4j(Resilience4j s) throws InterruptedException, ExecutionException {
    return s.decorated.get().toCompletableFuture().get();
  }

  @Benchmark
  public String failsafe(Failsafe s) throws InterruptedException, ExecutionException {
    return s.executor.getAsync(s.supplier).get();
  }

  @State(Scope.Benchmark)
  public static class PlainPool {
    final Dependency dependency = new Dependency();
    final ExecutorService pool = Executors.newFixedThreadPool(Scenarios.POOL_THREADS);

    @TearDown(Level.Trial)
    public void tearDown() {
      pool.shutdownNow();
    }
  }

  @State(Scope.Benchmark)
  public static class Breakwater extends BreakwaterState {
    @Override
    void configure() {
      runtime.configureThreadPool("P3", BreakwaterSetup.pool(Scenarios.POOL_THREADS));
      runtime.configure("P3", BreakwaterSetup.threadIsolated("P3"));
    }
  }

  @State(Scope.Benchmark)
  public static class Hystrix {
    final Dependency dependency = new Dependency();
    final HystrixCommand.Setter setter =
        HystrixSetup.threadIsolated("P3", Scenarios.POOL_THREADS);

    @TearDown(Level.Trial)
    public void tearDown() {
      HystrixSetup.shutdown();
    }
  }

  @State(Scope.Benchmark)
  public static class Resilience4j {
    final Dependency dependency = new Dependency();
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final ThreadPoolBulkhead pool = Resilience4jSetup.threadPool("P3", Scenarios.POOL_THREADS);
    final Supplier<CompletionStage<String>> decorated =
        Resilience4jSetup.threadIsolated(pool, dependency, scheduler);

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
      pool.close();
      scheduler.shutdownNow();
    }
  }

  @State(Scope.Benchmark)
  public static class Failsafe {
    final Dependency dependency = new Dependency();
    final ExecutorService pool = Executors.newFixedThreadPool(Scenarios.POOL_THREADS);
    final FailsafeExecutor<String> executor = FailsafeSetup.threadIsolated(pool);
    final CheckedSupplier<String> supplier = dependency::call;

    @TearDown(Level.Trial)
    public void tearDown() {
      pool.shutdownNow();
    }
  }
}
