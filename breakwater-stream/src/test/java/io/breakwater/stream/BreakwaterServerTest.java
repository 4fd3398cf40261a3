package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP face of the server: routes, headers, errors, the cap and the token. */
class BreakwaterServerTest {

  private static final String TOKEN = "s3cret-token-for-tests-0123";
  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    runtime.close();
  }

  private BreakwaterServer start(BreakwaterServer.Builder b) {
    BreakwaterServer server = b.runtime(runtime).port(0).start();
    toClose.add(0, server);
    return server;
  }

  private StreamClient open(URI uri) {
    StreamClient c = StreamClient.open(uri);
    toClose.add(0, c);
    return c;
  }

  /** A command that exists because it was created, though it never ran. */
  static final class Idle extends Command<String> {
    Idle(BreakwaterRuntime runtime) {
      super(runtime, "idle.command", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
          .build());
    }

    @Override
    protected String run() {
      return "never";
    }
  }

  @Test
  void streamHasHystrixHeadersAndListsCommandsBeforeAnyTraffic() throws Exception {
    new Idle(runtime);
    BreakwaterServer server = start(BreakwaterServer.builder());
    StreamClient stream = open(server.uri().resolve("/hystrix.stream"));

    HttpResponse.ResponseInfo r = stream.headers();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream;charset=UTF-8");
    assertThat(r.headers().firstValue("Cache-Control"))
        .hasValue("no-cache, no-store, max-age=0, must-revalidate");
    assertThat(r.headers().firstValue("Pragma")).hasValue("no-cache");

    long t0 = System.nanoTime();
    JsonNode idle = stream.next("HystrixCommand", "idle.command", Duration.ofSeconds(2));
    assertThat((System.nanoTime() - t0) / 1_000_000).as("first tick comes at once")
        .isLessThan(400);
    HystrixFormat.assertFormat(idle, HystrixFormat.COMMAND);
    assertThat(idle.get("requestCount").asLong()).isZero();
    assertThat(stream.lines).filteredOn(l -> l.startsWith("data:"))
        .allMatch(l -> l.startsWith("data: {"));
  }

  @Test
  void ticksFollowTraffic() throws Exception {
    runtime.configure("busy", CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    BreakwaterServer server = start(BreakwaterServer.builder());
    StreamClient stream = open(server.uri().resolve("/hystrix.stream?delay=100"));
    runtime.execute("busy", () -> "ok");

    stream.next("HystrixCommand", "busy", Duration.ofSeconds(2));
    for (int i = 0; i < 7; i++) {
      runtime.execute("busy", () -> "ok");
    }
    JsonNode m = stream.await("HystrixCommand", "busy", Duration.ofSeconds(3),
        n -> n.get("rollingCountSuccess").asLong() == 8);
    assertThat(m.get("requestCount").asLong()).isEqualTo(8);
  }

  @Test
  void aDelayIsHonoured() throws Exception {
    runtime.configure("paced", CommandConfig.defaults());
    runtime.snapshot("paced");
    BreakwaterServer server = start(BreakwaterServer.builder());
    StreamClient fast = open(server.uri().resolve("/hystrix.stream?delay=100"));
    StreamClient slow = open(server.uri().resolve("/hystrix.stream?delay=1000"));

    Thread.sleep(1500);

    long fastTicks = fast.lines.stream().filter(l -> l.startsWith("data:")).count();
    long slowTicks = slow.lines.stream().filter(l -> l.startsWith("data:")).count();
    assertThat(fastTicks).isBetween(8L, 20L);
    assertThat(slowTicks).isBetween(1L, 3L);
  }

  @Test
  void emptyRuntimeGetsKeepAlivePings() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder());
    StreamClient stream = open(server.uri().resolve("/hystrix.stream?delay=100"));

    Awaitility.await().atMost(Duration.ofSeconds(3))
        .until(() -> stream.lines.stream().filter(": ping"::equals).count() >= 3);
    assertThat(stream.lines).noneMatch(l -> l.startsWith("data:"));
  }

  @Test
  void badDelayIsA400WithAClearMessage() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder());
    for (String q : List.of("delay=abc", "delay=5", "delay=99999999", "delay=-1",
        "delay=1&delay=2", "delay=%25zz")) {
      HttpResponse<String> r = Http.get(server.uri().resolve("/hystrix.stream?" + q));
      assertThat(r.statusCode()).as(q).isEqualTo(400);
      assertThat(r.body()).as(q).containsAnyOf("delay", "percent-encoded");
    }
    HttpResponse<String> r = Http.get(server.uri().resolve("/hystrix.stream?delay=5"));
    assertThat(r.body()).contains("delay must be between 100 and 30000 milliseconds, was 5");
  }

  @Test
  void unknownPathIs404AndWrongMethodIs405() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder());
    assertThat(Http.get(server.uri().resolve("/nope")).statusCode()).isEqualTo(404);
    assertThat(Http.get(server.uri().resolve("/../etc/passwd")).statusCode()).isEqualTo(404);
    assertThat(Http.get(server.uri().resolve("/metrics")).statusCode()).isEqualTo(404);
    HttpResponse<String> post = Http.send(HttpRequest.newBuilder(
        server.uri().resolve("/hystrix.stream")).POST(HttpRequest.BodyPublishers.ofString("x")));
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    HttpResponse<String> delete = Http.send(HttpRequest.newBuilder(server.uri()).DELETE());
    assertThat(delete.statusCode()).isEqualTo(405);
  }

  @Test
  void headAnswersWhatGetWouldWithoutABodyOrAStreamConnection() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder().maxConnections(1));
    HttpResponse<String> page = Http.send(HttpRequest.newBuilder(server.uri())
        .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("text/html"));
    assertThat(page.body()).isEmpty();

    for (int i = 0; i < 3; i++) { // over the cap of 1 if HEAD held a stream connection
      HttpResponse<String> stream = Http.send(HttpRequest.newBuilder(
          server.uri().resolve("/hystrix.stream")).method("HEAD",
          HttpRequest.BodyPublishers.noBody()));
      assertThat(stream.statusCode()).isEqualTo(200);
      assertThat(stream.headers().firstValue("Content-Type"))
          .hasValue("text/event-stream;charset=UTF-8");
    }
    assertThat(Http.send(HttpRequest.newBuilder(server.uri().resolve("/metrics"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(404);
    assertThat(Http.send(HttpRequest.newBuilder(server.uri().resolve("/hystrix.stream?delay=5"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(400);
  }

  @Test
  void turbineStreamWithoutRegistryIs404AndNeedsAValidService() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder());
    assertThat(Http.get(server.uri().resolve("/turbine.stream?service=x")).statusCode())
        .isEqualTo(404);
    HttpResponse<String> bad = Http.get(server.uri().resolve(
        "/turbine.stream?service=http://evil.example/"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("service may hold only");
    assertThat(Http.get(server.uri().resolve("/turbine.stream")).body())
        .contains("'service' is required");
  }

  @Test
  void connectionsOverTheCapGet503SayingSo() throws Exception {
    runtime.snapshot("capped");
    BreakwaterServer server = start(BreakwaterServer.builder().maxConnections(2));
    StreamClient a = open(server.uri().resolve("/hystrix.stream"));
    StreamClient b = open(server.uri().resolve("/hystrix.stream"));
    a.next("HystrixCommand", "capped", Duration.ofSeconds(2));
    b.next("HystrixCommand", "capped", Duration.ofSeconds(2));

    HttpResponse<String> third = Http.get(server.uri().resolve("/hystrix.stream"));
    assertThat(third.statusCode()).isEqualTo(503);
    assertThat(third.body()).contains("MaxConcurrentConnections reached: 2");
    // The cap does not starve the page.
    assertThat(Http.get(server.uri()).statusCode()).isEqualTo(200);

    a.close();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 1);
    StreamClient c = open(server.uri().resolve("/hystrix.stream"));
    c.next("HystrixCommand", "capped", Duration.ofSeconds(2));
  }

  @Test
  void aReaderOfASlowStreamThatLeavesFreesItsSlotWithinSeconds() throws Exception {
    runtime.snapshot("slow");
    BreakwaterServer server = start(BreakwaterServer.builder());
    StreamClient a = open(server.uri().resolve("/hystrix.stream?delay=30000"));
    a.next("HystrixCommand", "slow", Duration.ofSeconds(2));
    assertThat(server.connections()).isEqualTo(1);

    a.close();
    // Pings between the 30 s ticks find the closed connection; without them it held the slot
    // until the next tick.
    Awaitility.await().atMost(Duration.ofSeconds(4)).until(() -> server.connections() == 0);
  }

  @Test
  void streamSettingsFromPropertiesSetTheCapAndTheTick() throws Exception {
    runtime.snapshot("configured");
    io.breakwater.config.MapSource props = io.breakwater.config.MapSource.of(java.util.Map.of(
        "hystrix.config.stream.maxConcurrentConnections", "1",
        "hystrix.stream.dashboard.intervalInMilliseconds", "200"));
    try (io.breakwater.config.ConfigurationBinder binder =
        io.breakwater.config.ConfigurationBinder.bind(runtime, props)) {
      BreakwaterServer server =
          start(BreakwaterServer.builder().settings(binder.streamSettings()));
      StreamClient a = open(server.uri().resolve("/hystrix.stream"));
      a.next("HystrixCommand", "configured", Duration.ofSeconds(2));
      long t0 = System.nanoTime();
      a.next("HystrixCommand", "configured", Duration.ofSeconds(2));
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(450);

      HttpResponse<String> second = Http.get(server.uri().resolve("/hystrix.stream"));
      assertThat(second.statusCode()).isEqualTo(503);
      assertThat(second.body()).contains("MaxConcurrentConnections reached: 1");
    }
  }

  @Test
  void tokenIsRequiredOnEveryRouteWhenSet() throws Exception {
    runtime.snapshot("guarded");
    BreakwaterServer server = start(BreakwaterServer.builder().bearerToken(TOKEN)
        .metrics(() -> "m 1\n"));
    for (String path : List.of("/", "/dashboard.js", "/hystrix.stream", "/api/sources",
        "/metrics")) {
      HttpResponse<String> r = Http.get(server.uri().resolve(path));
      assertThat(r.statusCode()).as(path).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
          v -> assertThat(v).startsWith("Bearer"));
      assertThat(Http.get(server.uri().resolve(path), "Authorization", "Bearer wrong-token")
          .statusCode()).as(path).isEqualTo(401);
    }
    assertThat(Http.get(server.uri().resolve("/metrics"), "Authorization", "Bearer " + TOKEN)
        .body()).isEqualTo("m 1\n");
    StreamClient header = new StreamClient(server.uri().resolve("/hystrix.stream"),
        Map.of("Authorization", "Bearer " + TOKEN));
    toClose.add(0, header);
    header.next("HystrixCommand", "guarded", Duration.ofSeconds(2));
    StreamClient query = open(server.uri().resolve("/hystrix.stream?access_token=" + TOKEN));
    query.next("HystrixCommand", "guarded", Duration.ofSeconds(2));
  }

  @Test
  void openingThePageWithTheTokenSetsACookieTheStreamAccepts() throws Exception {
    runtime.snapshot("cookie");
    BreakwaterServer server = start(BreakwaterServer.builder().bearerToken(TOKEN));
    HttpResponse<String> login = Http.get(server.uri().resolve("/?access_token=" + TOKEN));
    assertThat(login.statusCode()).isEqualTo(303);
    assertThat(login.headers().firstValue("Location")).hasValue("/");
    String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");

    String pair = cookie.substring(0, cookie.indexOf(';'));
    assertThat(Http.get(server.uri(), "Cookie", pair).statusCode()).isEqualTo(200);
    StreamClient s = new StreamClient(server.uri().resolve("/hystrix.stream"),
        Map.of("Cookie", "other=1; " + pair));
    toClose.add(0, s);
    s.next("HystrixCommand", "cookie", Duration.ofSeconds(2));
    assertThat(Http.get(server.uri().resolve("/?access_token=wrong-token-0123456789"))
        .statusCode()).isEqualTo(401);
  }

  @Test
  void pageAndItsPartsAreServedWithASafeContentPolicy() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder().title("Orders"));
    HttpResponse<String> page = Http.get(server.uri());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v ->
        assertThat(v).contains("default-src 'none'").contains("connect-src 'self'"));
    assertThat(page.body()).contains("dashboard.js").doesNotContain("http://", "https://");
    for (String part : List.of("/dashboard.css", "/dashboard.js", "/favicon.svg")) {
      HttpResponse<String> r = Http.get(server.uri().resolve(part));
      assertThat(r.statusCode()).as(part).isEqualTo(200);
      assertThat(r.body()).as(part + " loads nothing from elsewhere")
          .doesNotContain("https://", "//cdn", "@import");
    }
    JsonNode sources = new ObjectMapper().readTree(
        Http.get(server.uri().resolve("/api/sources")).body());
    assertThat(sources.get("title").asText()).isEqualTo("Orders");
    assertThat(sources.get("aggregation").asBoolean()).isFalse();
  }

  @Test
  void metricsRouteServesTheSuppliedText() throws Exception {
    BreakwaterServer server = start(BreakwaterServer.builder()
        .metrics(() -> "# TYPE x counter\nx_total 3\n"));
    HttpResponse<String> r = Http.get(server.uri().resolve("/metrics"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body()).isEqualTo("# TYPE x counter\nx_total 3\n");
  }

  @Test
  void aOneMegabyteHeaderDoesNotHurtTheServer() throws Exception {
    runtime.snapshot("sturdy");
    BreakwaterServer server = start(BreakwaterServer.builder());
    byte[] filler = new byte[1024 * 1024];
    Arrays.fill(filler, (byte) 'a');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /hystrix.stream HTTP/1.1\r\nHost: x\r\nX-Big: ")
          .getBytes(StandardCharsets.US_ASCII));
      try {
        out.write(filler);
        out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] head = in.readNBytes(12);
        String status = new String(head, StandardCharsets.US_ASCII);
        // Refused or answered, but answered promptly and without harm.
        assertThat(status.isEmpty() || status.startsWith("HTTP/1.1")).isTrue();
      } catch (java.io.IOException refused) {
        // The server cut the connection: as good as a refusal.
      }
    }
    StreamClient after = open(server.uri().resolve("/hystrix.stream"));
    after.next("HystrixCommand", "sturdy", Duration.ofSeconds(2));
    assertThat(Http.get(server.uri()).statusCode()).isEqualTo(200);
  }

  @Test
  void bindsToLoopbackByDefaultAndRefusesATakenPort() {
    BreakwaterServer server = start(BreakwaterServer.builder());
    assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
    assertThat(server.uri().toString()).startsWith("http://127.0.0.1:");
    assertThatThrownBy(() -> BreakwaterServer.builder().runtime(runtime).port(server.port())
        .start()).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(String.valueOf(server.port()));
  }

  @Test
  void builderNamesTheFieldItRefuses() {
    BreakwaterServer.Builder b = BreakwaterServer.builder();
    assertThatThrownBy(() -> b.port(70_000)).hasMessageContaining("port");
    assertThatThrownBy(() -> b.maxConnections(0)).hasMessageContaining("maxConnections");
    assertThatThrownBy(() -> b.delay(Duration.ofMillis(10))).hasMessageContaining("delay");
    assertThatThrownBy(() -> b.bearerToken("short")).hasMessageContaining("bearerToken");
    assertThatThrownBy(() -> b.bearerToken("has space in it, long enough"))
        .hasMessageContaining("bearerToken");
    assertThatThrownBy(() -> b.services("bad name")).hasMessageContaining("service name");
    assertThatThrownBy(() -> b.upstreamPath("http://x/")).hasMessageContaining("upstreamPath");
    assertThatThrownBy(() -> b.queueTicks(0)).hasMessageContaining("queueTicks");
  }
}
