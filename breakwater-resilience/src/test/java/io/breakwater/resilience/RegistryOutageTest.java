package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.breakwater.example.ExampleClient;
import io.breakwater.example.proto.Response;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenario 4, registry outage: the registry (a dev registry speaking Consul's API, reached by
 * both the service runner's and the client's Consul clients through the fault proxy) is cut off
 * for 60 s of its own clock, during which the example instance's TTL check expires there; then
 * it comes back, as it was or having lost its data (an agent restarted empty). Callers keep
 * calling the whole time, and no call may fail or fall back because of discovery.
 *
 * <p>The registry's clock is a manual one, moved by 60 s during the outage (TTL expiry and the
 * reaper run on it). The Consul clients, gRPC and the callers run in real time (ConsulRegistry's
 * clock is not public); the outage lasts {@code breakwater.outage.seconds} real seconds: 6 in
 * the default build, 60 with {@code -Psoak}.
 */
class RegistryOutageTest {

  private static final long OUTAGE_SECONDS =
      Long.getLong("breakwater.outage.seconds", 6);

  private final AtomicLong registryNanos = new AtomicLong();
  private ServiceStack stack;
  private LogCapture logs;

  @BeforeEach
  void start() {
    logs = new LogCapture("io.breakwater");
    stack = new ServiceStack(registryNanos::get, true, Duration.ofSeconds(1));
  }

  @AfterEach
  void stop() {
    stack.close();
    logs.close();
  }

  @ParameterizedTest(name = "registry comes back {0}")
  @ValueSource(strings = {"as it was", "empty"})
  void noCallFailsForDiscoveryWhileTheRegistryIsAwayOrWhenItReturns(String comesBack)
      throws Exception {
    assertThat(stack.client.call("warm").getMsg()).isEqualTo("Hello warm");

    AtomicBoolean stop = new AtomicBoolean();
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    AtomicLong calls = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int id = i;
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          String outcome;
          try {
            Response r = stack.client.call("c" + id);
            outcome = r.getMsg().contains("(fallback: ") ? "fallback:"
                + r.getMsg().substring(r.getMsg().indexOf(": ") + 2) : "server";
          } catch (StatusRuntimeException e) {
            outcome = "error:" + e.getStatus();
          }
          calls.incrementAndGet();
          outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "caller-" + i);
      callers.add(t);
      t.start();
    }

    long callsBefore;
    long callsDuring;
    long outageMillis;
    long recoveryMillis;
    int reachedDuringOutage;
    try {
      Thread.sleep(1000);
      callsBefore = calls.get();

      // The outage: every connection to the registry is refused, blocked queries are cut.
      long t0 = System.nanoTime();
      stack.registryProxy.refuse(true);
      stack.registryProxy.resetAll();
      int requestsBefore = stack.dev.requests().size();
      long steps = 12;
      for (int step = 0; step < steps; step++) {
        Thread.sleep(OUTAGE_SECONDS * 1000 / steps);
        registryNanos.addAndGet(Duration.ofSeconds(60).toNanos() / steps);
        stack.dev.runTimers();
      }
      reachedDuringOutage = stack.dev.requests().size() - requestsBefore;
      if (comesBack.equals("empty")) {
        stack.dev.forgetAllServices();
      }
      callsDuring = calls.get() - callsBefore;
      outageMillis = (System.nanoTime() - t0) / 1_000_000;

      // Back: the client's watch and the runner's heartbeats find it again.
      long t1 = System.nanoTime();
      stack.registryProxy.refuse(false);
      Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> stack.clientRegistry.instances(ExampleClient.SERVICE).size() == 1);
      recoveryMillis = (System.nanoTime() - t1) / 1_000_000;
      Thread.sleep(3000);
    } finally {
      stop.set(true);
      for (Thread t : callers) {
        t.join(5000);
      }
    }
    Map<String, Long> seen = new TreeMap<>();
    outcomes.forEach((k, v) -> seen.put(k, v.get()));
    List<String> warnings = logs.messages(Level.WARN, "io.breakwater");
    System.out.printf("[figures] scenario 4 registry outage (comes back %s): %d s of registry"
            + " time in %d ms real; calls before %d, during %d, total %d, outcomes %s;"
            + " registry listed the instance again %d ms after it came back%n", comesBack,
        60, outageMillis, callsBefore, callsDuring, calls.get(), seen, recoveryMillis);
    System.out.println("[figures]   WARN lines (" + warnings.size() + "):");
    warnings.forEach(w -> System.out.println("[figures]     " + w));

    assertThat(callsDuring).as("calls kept flowing during the outage").isGreaterThan(100);
    assertThat(seen).as("every call answered by the server").containsOnlyKeys("server");
    assertThat(stack.server.callsReceived()).isEqualTo(calls.get() + 1);
    assertThat(reachedDuringOutage).as("requests that reached the registry while it was away")
        .isZero();
    // Retries went on all along (watch back-off, a heartbeat a second), yet each registry
    // client said so once per kind of problem: two watches (client and runner), one heartbeat.
    assertThat(warnings.stream().filter(w -> w.startsWith("Consul lookup failed"))).hasSize(2);
    assertThat(warnings.stream().filter(w -> w.startsWith("Heartbeat of"))).hasSize(1);
  }
}
