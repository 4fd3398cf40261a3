package io.breakwater.benchmarks;

import com.netflix.hystrix.HystrixCommand;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import java.util.concurrent.CompletionStage;
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
 * P1t: P1 with a 1 s timeout armed on every call, which never fires. What it adds to P1 is the
 * cost of arming and disarming a timer. Sentinel has no timeout and is absent.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SuccessPathTimed {

  @Benchmark
  public String breakwater(Breakwater s) {
    return s.runtime.execute("P1t", s.dependency, BreakwaterSetup.FALLBACK);
  }

  @Benchmark
  public String hystrix(Hystrix s) {
    return new HystrixSetup.Call(s.setter, s.dependency).execute();
  }

  @Benchmark
  public String resilience4j(Resilience4j s) {
    return s.decorated.get().toCompletableFuture().join();
  }

  @Benchmark
  public String failsafe(Failsafe s) {
    return s.executor.get(s.supplier);
  }

  @State(Scope.Benchmark)
  public static class Breakwater extends BreakwaterState {
    @Override
    void configure() {
      runtime.configure("P1t", BreakwaterSetup.successPathTimed());
    }
  }

  @State(Scope.Benchmark)
  public static class Hystrix {
    final Dependency dependency = new Dependency();
    final HystrixCommand.Setter setter = HystrixSetup.successPathTimed();

    @TearDown(Level.Trial)
    public void tearDown() {
      HystrixSetup.shutdown();
    }
  }

  @State(Scope.Benchmark)
  public static class Resilience4j {
    final Dependency dependency = new Dependency();
    /** One timer thread, as Breakwater's and Hystrix's per-runtime timer. */
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final Supplier<CompletionStage<String>> decorated =
        Resilience4jSetup.successPathTimed(dependency, scheduler);

    @TearDown(Level.Trial)
    public void tearDown() {
      scheduler.shutdownNow();
    }
  }

  @State(Scope.Benchmark)
  public static class Failsafe {
    final Dependency dependency = new Dependency();
    final FailsafeExecutor<String> executor = FailsafeSetup.successPathTimed();
    final CheckedSupplier<String> supplier = dependency::call;
  }
}
