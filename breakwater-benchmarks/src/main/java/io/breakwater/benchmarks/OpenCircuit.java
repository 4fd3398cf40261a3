package io.breakwater.benchmarks;

import com.netflix.hystrix.HystrixCommand;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.function.CheckedSupplier;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
 * P2: the circuit is open (forced, or for Sentinel tripped for an hour) and a fallback answers a
 * constant. What is measured is the cost of refusing a call: how a library tells the caller's
 * code that the call was refused (an exception, or not) and what it records.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class OpenCircuit {

  @Benchmark
  public String breakwater(Breakwater s) {
    return s.runtime.execute("P2", s.dependency, BreakwaterSetup.FALLBACK);
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
    return SentinelSetup.call(SentinelSetup.OPEN_CIRCUIT, s.dependency);
  }

  /** Fails the trial at once if a library ran the call instead of refusing it. */
  static void checkRefused(String answer) {
    if (!Dependency.FALLBACK.equals(answer)) {
      throw new IllegalStateException("the circuit is not open: the call answered " + answer);
    }
  }

  @State(Scope.Benchmark)
  public static class Breakwater extends BreakwaterState {
    @Override
    void configure() {
      runtime.configure("P2", BreakwaterSetup.openCircuit());
      checkRefused(runtime.execute("P2", dependency, BreakwaterSetup.FALLBACK));
    }
  }

  @State(Scope.Benchmark)
  public static class Hystrix {
    final Dependency dependency = new Dependency();
    final HystrixCommand.Setter setter = HystrixSetup.openCircuit();

    @Setup(Level.Trial)
    public void setUp() {
      checkRefused(new HystrixSetup.Call(setter, dependency).execute());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      HystrixSetup.shutdown();
    }
  }

  @State(Scope.Benchmark)
  public static class Resilience4j {
    final Dependency dependency = new Dependency();
    final Callable<String> decorated = Resilience4jSetup.openCircuit(dependency);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      checkRefused(decorated.call());
    }
  }

  @State(Scope.Benchmark)
  public static class Failsafe {
    final Dependency dependency = new Dependency();
    final FailsafeExecutor<String> executor = FailsafeSetup.openCircuit();
    final CheckedSupplier<String> supplier = dependency::call;

    @Setup(Level.Trial)
    public void setUp() {
      checkRefused(executor.get(supplier));
    }
  }

  @State(Scope.Benchmark)
  public static class Sentinel {
    final Dependency dependency = new Dependency();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      SentinelSetup.openCircuit();
      checkRefused(SentinelSetup.call(SentinelSetup.OPEN_CIRCUIT, dependency));
    }
  }
}
