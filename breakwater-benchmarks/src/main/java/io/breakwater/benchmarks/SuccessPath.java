package io.breakwater.benchmarks;

import com.netflix.hystrix.HystrixCommand;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * P1 (one thread) and P5 (two threads, {@code -t 2}): the success path of a call guarded by a
 * circuit breaker and a semaphore bulkhead, with metrics, no timeout. Every state is shared, so
 * at two threads both hit the same command, breaker and bulkhead, as two request threads of a
 * service would. Each library has its own state class, so a fork sets up (and starts the
 * background threads of) only the library it measures.
 *
 * <p>{@link #baseline} is the bare call. {@link #floor} is the least a measured, guarded call can
 * cost: the call between two clock reads and one compare-and-set on a shared word (what a
 * single shared counter, or the simplest semaphore, costs).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SuccessPath {

  @Benchmark
  public String baseline(Floor s) {
    return s.dependency.call();
  }

  @Benchmark
  public String floor(Floor s) {
    long start = System.nanoTime();
    String answer = s.dependency.call();
    long elapsed = System.nanoTime() - start;
    long seen = s.word.get();
    s.word.compareAndSet(seen, seen + elapsed);
    return answer;
  }

  @Benchmark
  public String breakwater(Breakwater s) {
    return s.runtime.execute("P1", s.dependency, BreakwaterSetup.FALLBACK);
  }

  @Benchmark
  public String hystrix(Hystrix s) {
    return new HystrixSetup.Call(s.setter, s.dependency).execute();
  }

  @Benchmark
  public String resilience4j(Resilience4j s) throws Exception {
    return s.decorated.call();
  }

  @Benchmark
  public String failsafe(Failsafe s) {
    return s.executor.get(s.supplier);
  }

  @Benchmark
  public String sentinel(Sentinel s) throws Exception {
    return SentinelSetup.call(SentinelSetup.SUCCESS_PATH, s.dependency);
  }

  @State(Scope.Benchmark)
  public static class Floor {
    final Dependency dependency = new Dependency();
    final AtomicLong word = new AtomicLong();
  }

  @State(Scope.Benchmark)
  public static class Breakwater extends BreakwaterState {
    @Override
    void configure() {
      runtime.configure("P1", BreakwaterSetup.successPath());
    }
  }

  @State(Scope.Benchmark)
  public static class Hystrix {
    final Dependency dependency = new Dependency();
    final HystrixCommand.Setter setter = HystrixSetup.successPath();

    @TearDown(Level.Trial)
    public void tearDown() {
      HystrixSetup.shutdown();
    }
  }

  @State(Scope.Benchmark)
  public static class Resilience4j {
    final Dependency dependency = new Dependency();
    final Callable<String> decorated = Resilience4jSetup.successPath(dependency);
  }

  @State(Scope.Benchmark)
  public static class Failsafe {
    final Dependency dependency = new Dependency();
    final FailsafeExecutor<String> executor = FailsafeSetup.successPath();
    final CheckedSupplier<String> supplier = dependency::call;
  }

  @State(Scope.Benchmark)
  public static class Sentinel {
    final Dependency dependency = new Dependency();

    @Setup(Level.Trial)
    public void setUp() {
      SentinelSetup.successPath();
    }
  }
}
