package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.breakwater.discovery.DevRegistryServer.Corruption;
import io.breakwater.discovery.ServiceInstance;
import io.breakwater.discovery.Ticker;
import io.breakwater.example.ExampleClient;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Bad input from the registry, end to end: the dev registry answers reads with each kind of
 * garbage in turn (malformed JSON, wrong types, a 32 MiB body, unknown fields, no index header,
 * port 0, port 70000) while the example client keeps calling and the client's Consul registry
 * is asked for the service fifty times. The client keeps its last good list, every call
 * reaches the server, and each kind of garbage is logged at WARN once, not once per lookup or
 * per retry of the watch; unknown fields are not garbage at all.
 */
class RegistryGarbageTest {

  @Test
  void theLastGoodListStaysAndEachKindOfGarbageIsOneWarn() throws Exception {
    try (LogCapture logs = new LogCapture("io.breakwater.discovery");
        ServiceStack s = new ServiceStack(Ticker.system(), false, Duration.ofSeconds(1))) {
      assertThat(s.client.call("warm").getMsg()).isEqualTo("Hello warm");
      List<ServiceInstance> good = s.clientRegistry.instances(ExampleClient.SERVICE);
      assertThat(good).singleElement().satisfies(i ->
          assertThat(i.port()).isEqualTo(s.runner.port()));

      AtomicBoolean stop = new AtomicBoolean();
      Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            String outcome;
            try {
              String msg = s.client.call("g").getMsg();
              outcome = msg.contains("(fallback") ? msg : "server";
            } catch (StatusRuntimeException e) {
              outcome = "error:" + e.getStatus().getCode();
            }
            outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
            try {
              Thread.sleep(1);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "caller-" + i);
        callers.add(t);
        t.start();
      }

      Map<Corruption, Integer> warnsPerKind = new TreeMap<>();
      Map<Corruption, Integer> lookupsPerKind = new TreeMap<>();
      List<Corruption> kinds = new ArrayList<>(List.of(Corruption.values()));
      kinds.add(Corruption.MALFORMED_JSON); // again, after a good answer in between
      try {
        for (Corruption kind : kinds) {
          logs.clear();
          s.dev.corruptReads(kind);
          int lookups = kind == Corruption.HUGE_BODY ? 5 : 50;
          for (int i = 0; i < lookups; i++) {
            assertThat(s.clientRegistry.instances(ExampleClient.SERVICE)).as("%s lookup %d",
                kind, i).isEqualTo(good);
          }
          // The watch's blocking query (2 s) comes back with the garbage too, then retries.
          Thread.sleep(2500);
          s.dev.clearFaults();
          assertThat(s.clientRegistry.instances(ExampleClient.SERVICE)).isEqualTo(good);
          List<String> warns = logs.messages(Level.WARN, "io.breakwater.discovery");
          warnsPerKind.merge(kind, warns.size(), Integer::sum);
          lookupsPerKind.merge(kind, lookups, Integer::sum);
          if (kind == Corruption.UNKNOWN_FIELDS) {
            assertThat(warns).as("unknown fields are ignored, not garbage").isEmpty();
          } else {
            assertThat(warns).as("WARNs for %s", kind).singleElement().asString()
                .startsWith("Consul lookup failed")
                .contains("keeping the last good list of 'example.service' (1 instances)");
            assertThat(logs.messages(Level.INFO, "io.breakwater.discovery"))
                .contains("Consul answers for service 'example.service' again");
          }
        }
      } finally {
        stop.set(true);
        for (Thread t : callers) {
          t.join(5000);
        }
      }
      Map<String, Long> seen = new TreeMap<>();
      outcomes.forEach((k, v) -> seen.put(k, v.get()));
      System.out.println("[figures] registry garbage: lookups per kind " + lookupsPerKind
          + "; WARN lines per kind " + warnsPerKind + "; gRPC calls meanwhile " + seen);
      assertThat(seen).containsOnlyKeys("server");
      assertThat(seen.get("server")).isGreaterThan(1000);
    }
  }
}
