package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The aggregator against real instances on loopback: it merges every registry-listed instance
 * of a service, follows instances coming and going, and reads nothing the registry does not
 * list.
 */
class FleetStreamTest {

  private static final String TOKEN = "fleet-token-0123456789abcdef";
  private final EmbeddedRegistry registry = EmbeddedRegistry.create();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    registry.close();
  }

  private BreakwaterRuntime instance(String id, int successes, int failures, String token) {
    BreakwaterRuntime rt = BreakwaterRuntime.create();
    toClose.add(rt);
    rt.configure("orders.get", CommandConfig.builder().group("Orders")
        .isolation(Isolation.SEMAPHORE).requestVolumeThreshold(1000).build());
    for (int i = 0; i < successes; i++) {
      rt.execute("orders.get", () -> "ok");
    }
    for (int i = 0; i < failures; i++) {
      rt.execute("orders.get", () -> {
        throw new IllegalStateException("down");
      }, (kind, cause) -> "fallback");
    }
    BreakwaterServer.Builder b = BreakwaterServer.builder().runtime(rt).port(0);
    if (token != null) {
      b.bearerToken(token);
    }
    BreakwaterServer s = b.start();
    toClose.add(0, s);
    registry.register(ServiceInstance.of(id, "orders", "127.0.0.1", s.port()));
    return rt;
  }

  private BreakwaterServer aggregator(String token) {
    BreakwaterRuntime own = BreakwaterRuntime.create();
    toClose.add(own);
    BreakwaterServer.Builder b = BreakwaterServer.builder().runtime(own).port(0)
        .registry(registry).services("orders");
    if (token != null) {
      b.bearerToken(token);
    }
    BreakwaterServer s = b.start();
    toClose.add(0, s);
    return s;
  }

  private StreamClient open(java.net.URI uri) {
    StreamClient c = StreamClient.open(uri);
    toClose.add(0, c);
    return c;
  }

  @Test
  void mergesEveryInstanceAndFollowsThemComingAndGoing() throws Exception {
    instance("orders-1", 6, 2, null);
    instance("orders-2", 3, 1, null);
    BreakwaterServer agg = aggregator(null);
    StreamClient fleet = open(agg.uri().resolve("/turbine.stream?service=orders&delay=200"));

    JsonNode m = fleet.await("HystrixCommand", "orders.get", Duration.ofSeconds(10),
        n -> n.get("reportingHosts").asInt() == 2);
    HystrixFormat.assertFormat(m, HystrixFormat.COMMAND);
    assertThat(m.get("rollingCountSuccess").asLong()).isEqualTo(9);
    assertThat(m.get("rollingCountFailure").asLong()).isEqualTo(3);
    assertThat(m.get("requestCount").asLong()).isEqualTo(12);
    assertThat(m.get("errorCount").asLong()).isEqualTo(3);
    // Summed as Turbine did; the dashboard divides by reportingHosts: (25 + 25) / 2.
    assertThat(m.get("errorPercentage").asInt()).isEqualTo(50);
    assertThat(m.get("propertyValue_metricsRollingStatisticalWindowInMilliseconds").asInt())
        .isEqualTo(10_000);
    assertThat(m.get("isCircuitBreakerOpen").asBoolean()).isFalse();
    assertThat(m.get("circuitOpenHosts").asInt()).isZero();
    assertThat(m.get("group").asText()).isEqualTo("Orders");

    instance("orders-3", 1, 0, null);
    fleet.await("HystrixCommand", "orders.get", Duration.ofSeconds(10),
        n -> n.get("reportingHosts").asInt() == 3 && n.get("rollingCountSuccess").asLong() == 10);

    registry.deregister("orders-1");
    JsonNode after = fleet.await("HystrixCommand", "orders.get", Duration.ofSeconds(10),
        n -> n.get("reportingHosts").asInt() == 2);
    assertThat(after.get("rollingCountSuccess").asLong()).isEqualTo(4);
  }

  @Test
  void aFleetStreamIsForgottenWhenItsLastReaderLeaves() throws Exception {
    // Otherwise 256 names asked for once would use up the cap of distinct fleet streams.
    BreakwaterServer agg = aggregator(null);
    List<StreamClient> readers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      readers.add(StreamClient.open(
          agg.uri().resolve("/turbine.stream?service=junk" + i + "&delay=100")));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> agg.connections() == 3);
    assertThat(agg.fleetStreams()).isEqualTo(3);

    for (StreamClient r : readers) {
      r.close();
    }
    await().atMost(Duration.ofSeconds(5))
        .until(() -> agg.connections() == 0 && agg.fleetStreams() == 0);
  }

  @Test
  void oneInstanceOfAServiceCanBeWatchedAlone() throws Exception {
    instance("orders-1", 6, 0, null);
    instance("orders-2", 3, 0, null);
    BreakwaterServer agg = aggregator(null);
    StreamClient one = open(agg.uri().resolve("/turbine.stream?service=orders&instance=orders-2"));

    JsonNode m = one.await("HystrixCommand", "orders.get", Duration.ofSeconds(10),
        n -> n.get("rollingCountSuccess").asLong() == 3);
    assertThat(m.get("reportingHosts").asInt()).isEqualTo(1);

    JsonNode sources = new ObjectMapper().readTree(
        Http.get(agg.uri().resolve("/api/sources")).body());
    assertThat(sources.get("aggregation").asBoolean()).isTrue();
    assertThat(sources.at("/services/0/name").asText()).isEqualTo("orders");
    assertThat(sources.at("/services/0/instances")).hasSize(2);
  }

  @Test
  void theTokenIsPassedToTheInstances() throws Exception {
    instance("orders-1", 2, 0, TOKEN);
    BreakwaterServer agg = aggregator(TOKEN);
    StreamClient fleet = new StreamClient(agg.uri().resolve("/turbine.stream?service=orders"),
        java.util.Map.of("Authorization", "Bearer " + TOKEN));
    toClose.add(0, fleet);
    JsonNode m = fleet.next("HystrixCommand", "orders.get", Duration.ofSeconds(10));
    assertThat(m.get("rollingCountSuccess").asLong()).isEqualTo(2);
  }

  @Test
  void onlyRegistryListedAddressesAreContacted() throws Exception {
    AtomicInteger unlistedHits = new AtomicInteger();
    HttpServer unlisted = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    unlisted.createContext("/", ex -> {
      unlistedHits.incrementAndGet();
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    unlisted.start();
    toClose.add(() -> unlisted.stop(0));
    instance("orders-1", 1, 0, null);
    BreakwaterServer agg = aggregator(null);
    String elsewhere = "127.0.0.1:" + unlisted.getAddress().getPort();

    for (String q : List.of("service=" + elsewhere, "service=orders&instance=" + elsewhere,
        "service=orders&origin=http://" + elsewhere + "/hystrix.stream")) {
      try (StreamClient c = StreamClient.open(agg.uri().resolve("/turbine.stream?" + q))) {
        c.headers();
        Thread.sleep(300);
      }
    }
    assertThat(unlistedHits.get()).isZero();
  }

  @Test
  void anInstanceThatIsDownIsRetriedAndCountsOnceUp() throws Exception {
    BreakwaterRuntime rt = BreakwaterRuntime.create();
    toClose.add(rt);
    rt.configure("orders.get", CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    rt.execute("orders.get", () -> "ok");
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    registry.register(ServiceInstance.of("late", "orders", "127.0.0.1", port));
    BreakwaterServer agg = aggregator(null);
    StreamClient fleet = open(agg.uri().resolve("/turbine.stream?service=orders"));
    Thread.sleep(700);
    assertThat(fleet.messages).isEmpty();

    BreakwaterServer late = BreakwaterServer.builder().runtime(rt).port(port).start();
    toClose.add(0, late);
    JsonNode m = fleet.next("HystrixCommand", "orders.get", Duration.ofSeconds(10));
    assertThat(m.get("rollingCountSuccess").asLong()).isEqualTo(1);
  }
}
