package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandException;
import io.breakwater.FailureKind;
import io.breakwater.Isolation;
import io.breakwater.circuit.CircuitState;
import io.breakwater.config.ConfigurationBinder;
import io.breakwater.config.MapSource;
import io.breakwater.event.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What core's InvalidConfigurationTest (84 cases: builder errors name field and value; property
 * changes are refused with a WARN and the previous value stays) leaves out: that the previous
 * value stays <em>in force</em>, measured on executions rather than read back from the config,
 * and that a stream of refused changes under traffic costs no call and one WARN per value.
 */
class RefusedConfigurationTest {

  private static final String CMD = "hystrix.command.Refused.";
  private static final String POOL = "hystrix.threadpool.Refused.";

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private LogCapture logs;

  @BeforeEach
  void captureLogs() {
    logs = new LogCapture("io.breakwater.config");
  }

  @AfterEach
  void tearDown() {
    logs.close();
    runtime.close();
  }

  private List<String> warnings() {
    return logs.messages(Level.WARN, "io.breakwater.config");
  }

  private long timeToTimeout() {
    long t0 = System.nanoTime();
    String answer = runtime.execute("Refused", () -> {
      Thread.sleep(5000);
      return "late";
    }, (kind, cause) -> kind.text());
    assertThat(answer).isEqualTo("timed-out");
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void aRefusedTimeoutLeavesTheOldTimeoutTiming() throws Exception {
    MapSource source = MapSource.of(Map.of(
        CMD + "execution.isolation.thread.timeoutInMilliseconds", "150"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      long before = timeToTimeout();
      for (String bad : List.of("abc", "0", "-5", "1.5", "99999999999")) {
        source.set(CMD + "execution.isolation.thread.timeoutInMilliseconds", bad);
      }
      long after = timeToTimeout();
      System.out.printf("[figures] refused configuration: timeout 150 ms measured %d ms before"
          + " and %d ms after 5 refused values%n", before, after);
      assertThat(after).isBetween(140L, 400L);
      assertThat(warnings()).hasSize(5).allSatisfy(w -> assertThat(w)
          .startsWith("Refused configuration " + CMD
              + "execution.isolation.thread.timeoutInMilliseconds=")
          .contains("keeping 150"));
    }
  }

  @Test
  void aRefusedPoolSizeLeavesThePoolItsThreads() throws Exception {
    MapSource source = MapSource.of(Map.of(CMD + "execution.isolation.strategy", "THREAD",
        CMD + "threadPoolKeyOverride", "Refused", POOL + "coreSize", "4"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set(POOL + "coreSize", "0");
      source.set(POOL + "coreSize", "-1");
      source.set(POOL + "maximumSize", "two");
      CountDownLatch running = new CountDownLatch(4);
      CountDownLatch release = new CountDownLatch(1);
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(runtime.submit("Refused", () -> {
          running.countDown();
          release.await();
          return "ran";
        }, (k, c) -> k.text()));
      }
      assertThat(running.await(5, TimeUnit.SECONDS)).as("four threads still there").isTrue();
      String fifth = runtime.execute("Refused", () -> "ran", (k, c) -> k.text());
      release.countDown();
      for (CompletableFuture<String> c : calls) {
        assertThat(c.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
      }
      assertThat(fifth).as("the fifth finds the pool full, as with 4 threads").isEqualTo(
          FailureKind.REJECTED.text());
      assertThat(runtime.threadPoolConfig("Refused").coreSize()).isEqualTo(4);
      assertThat(warnings()).hasSize(3);
      assertThat(warnings().get(0)).startsWith("Refused configuration " + POOL + "coreSize=0");
    }
  }

  @Test
  void aRefusedThresholdLeavesTheBreakerJudgingByTheOldOne() {
    MapSource source = MapSource.of(Map.of(
        CMD + "execution.isolation.strategy", "SEMAPHORE",
        CMD + "circuitBreaker.errorThresholdPercentage", "30",
        CMD + "circuitBreaker.requestVolumeThreshold", "10"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set(CMD + "circuitBreaker.errorThresholdPercentage", "101");
      source.set(CMD + "circuitBreaker.requestVolumeThreshold", "-3");
      source.set(CMD + "execution.isolation.strategy", "FIBER");
      // 6 successes then failures: the circuit must open at 4 of 10 (40 % >= 30 %).
      for (int i = 0; i < 6; i++) {
        runtime.execute("Refused", () -> "ok", (k, c) -> "fb");
      }
      int failures = 0;
      while (runtime.circuitState("Refused") == CircuitState.CLOSED && failures < 20) {
        failures++;
        runtime.execute("Refused", () -> {
          throw new IllegalStateException("down");
        }, (k, c) -> "fb");
      }
      System.out.printf("[figures] refused configuration: with threshold 101 and volume -3"
          + " refused, the circuit opened after %d failures of %d requests (30 %%, 10 kept)%n",
          failures, 6 + failures);
      assertThat(failures).isEqualTo(4);
      assertThat(runtime.config("Refused").isolation()).isEqualTo(Isolation.SEMAPHORE);
      assertThat(warnings()).hasSize(3).anySatisfy(w -> assertThat(w)
          .contains("errorThresholdPercentage=101").contains("keeping 30"));
    }
  }

  @Test
  void refusedChangesUnderTrafficCostNoCallAndOneWarnPerValue() throws Exception {
    String key = CMD + "execution.isolation.semaphore.maxConcurrentRequests";
    MapSource source = MapSource.of(Map.of(CMD + "execution.isolation.strategy", "SEMAPHORE",
        key, "50"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong calls = new AtomicLong();
      AtomicLong notServed = new AtomicLong();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            try {
              runtime.execute("Refused", () -> "ok");
            } catch (CommandException e) {
              notServed.incrementAndGet();
            }
            calls.incrementAndGet();
          }
        }, "caller-" + i);
        callers.add(t);
        t.start();
      }
      // The same bad value pushed again and again (a config service re-publishing it).
      long pushes = 0;
      long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < end) {
        source.set(key, "0");
        source.set(CMD + "circuitBreaker.requestVolumeThreshold", String.valueOf(pushes));
        pushes++;
      }
      stop.set(true);
      for (Thread t : callers) {
        t.join();
      }
      long warns = warnings().size();
      System.out.printf("[figures] refused configuration: the same bad value pushed %d times in"
              + " 2 s (each time with a valid change beside it) while %d"
              + " calls ran; calls not served %d; WARN lines %d%n", pushes, calls.get(),
          notServed.get(), warns);
      assertThat(notServed.get()).isZero();
      assertThat(runtime.snapshot("Refused").cumulativeCount(EventType.SEMAPHORE_REJECTED))
          .isZero();
      assertThat(runtime.config("Refused").maxConcurrentRequests()).isEqualTo(50);
      assertThat(pushes).isGreaterThan(100);
      assertThat(warnings()).singleElement().asString()
          .startsWith("Refused configuration " + key + "=0 ").contains("keeping 50");
    }
  }
}
