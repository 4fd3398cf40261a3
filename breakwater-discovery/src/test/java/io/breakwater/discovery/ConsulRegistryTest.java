package io.breakwater.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.discovery.DevRegistryServer.Corruption;
import io.breakwater.discovery.DevRegistryServer.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Consul client against the dev registry acting as Consul, faults included. */
class ConsulRegistryTest {

  private static final ServiceInstance A = new ServiceInstance("web-1", "web", "127.0.0.1", 8081,
      List.of("blue"), Map.of("zone", "a"));
  private static final ServiceInstance B = ServiceInstance.of("web-2", "web", "127.0.0.1", 8082);

  private final AtomicLong serverNanos = new AtomicLong();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private DevRegistryServer server;
  private RawHttp http;
  private LogCapture logs;

  @BeforeEach
  void start() {
    server = DevRegistryServer.builder().ticker(serverNanos::get).jitter(false).start();
    http = new RawHttp(server.uri());
    logs = new LogCapture(ConsulRegistry.class);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    server.close();
    logs.close();
  }

  /** A client tuned for fast tests: manual heartbeats, short waits, no environment. */
  private ConsulRegistry.Builder builder() {
    return ConsulRegistry.builder()
        .address(server.uri().toString())
        .environment(name -> null)
        .automaticHeartbeats(false)
        .blockingWait(Duration.ofMillis(300))
        .watchTimeoutMargin(Duration.ofMillis(300))
        .requestTimeout(Duration.ofSeconds(2))
        .watchRateLimit(Duration.ofMillis(5))
        .retryBackoff(Duration.ofMillis(20))
        .maxRetryBackoff(Duration.ofMillis(100));
  }

  private ConsulRegistry client(ConsulRegistry.Builder builder) {
    ConsulRegistry registry = builder.build();
    toClose.add(registry);
    return registry;
  }

  private ConsulRegistry client() {
    return client(builder());
  }

  private void advanceServer(Duration duration) {
    serverNanos.addAndGet(duration.toNanos());
    server.runTimers();
  }

  private String checkStatus(String checkId) {
    var check = http.get("/v1/agent/checks").json().get(checkId);
    return check == null ? null : check.get("Status").asText();
  }

  private List<RecordedRequest> healthRequests() {
    return server.requests().stream()
        .filter(r -> r.path().equals("/v1/health/service/web"))
        .toList();
  }

  private long warningsContaining(String text) {
    return logs.warnings().stream().filter(m -> m.contains(text)).count();
  }

  // ---- registration and heartbeats ----------------------------------------------------------

  @Test
  void registerSendsTheInstanceAndPassesItsCheckAtOnce() {
    ConsulRegistry consul = client();

    consul.register(A);

    assertThat(checkStatus("service:web-1")).isEqualTo("passing");
    assertThat(consul.instances("web")).containsExactly(A);
    var service = http.get("/v1/agent/services").json().get("web-1");
    assertThat(service.get("Tags").get(0).asText()).isEqualTo("blue");
    assertThat(service.at("/Meta/zone").asText()).isEqualTo("a");
  }

  @Test
  void heartbeatsKeepTheCheckPassingPastItsTtl() {
    ConsulRegistry consul = client(builder().checkTtl(Duration.ofSeconds(30)));
    consul.register(A);

    for (int i = 0; i < 4; i++) {
      advanceServer(Duration.ofSeconds(20));
      assertThat(consul.heartbeat(A.id())).isTrue();
    }

    assertThat(checkStatus("service:web-1")).isEqualTo("passing");
    assertThat(consul.instances("web")).containsExactly(A);
  }

  @Test
  void missedHeartbeatsLetTheTtlExpireAndConsulReapTheInstance() {
    ConsulRegistry consul = client(builder().checkTtl(Duration.ofSeconds(30)));
    consul.register(A);

    advanceServer(Duration.ofSeconds(30));
    assertThat(consul.instances("web")).isEmpty();
    assertThat(http.get("/v1/agent/checks").json().at("/service:web-1/Output").asText())
        .isEqualTo("TTL expired");

    // DeregisterCriticalServiceAfter defaults to 1 m: reaped at the reaper run at 90 s.
    advanceServer(Duration.ofSeconds(60));
    assertThat(http.get("/v1/agent/services").json().has("web-1")).isFalse();
  }

  @Test
  void automaticHeartbeatsPassTheCheckFromTheBackground() {
    server.close();
    server = DevRegistryServer.builder().start();
    http = new RawHttp(server.uri());
    ConsulRegistry consul = client(builder().address(server.uri().toString())
        .automaticHeartbeats(true)
        .checkTtl(Duration.ofMillis(800))
        .heartbeatInterval(Duration.ofMillis(100)));

    consul.register(A);

    // Two TTLs pass; without heartbeats the check would have gone critical after one.
    await().during(Duration.ofMillis(1800)).atMost(Duration.ofSeconds(4))
        .until(() -> "passing".equals(checkStatus("service:web-1")));
    assertThat(server.requests().stream()
        .filter(r -> r.path().equals("/v1/agent/check/pass/service:web-1")).count())
        .isGreaterThanOrEqualTo(5);
  }

  @Test
  void stoppedHeartbeatsLetTheCheckGoCritical() {
    server.close();
    server = DevRegistryServer.builder().start();
    http = new RawHttp(server.uri());
    ConsulRegistry consul = client(builder().address(server.uri().toString())
        .automaticHeartbeats(true)
        .checkTtl(Duration.ofMillis(500))
        .heartbeatInterval(Duration.ofMillis(100)));
    consul.register(A);

    consul.stopHeartbeats(A.id());

    await().atMost(Duration.ofSeconds(4))
        .until(() -> "critical".equals(checkStatus("service:web-1")));
  }

  @Test
  void heartbeatRegistersAgainWhenTheAgentForgotTheInstance() {
    ConsulRegistry consul = client();
    consul.register(A);

    server.forgetAllServices();
    boolean confirmed = consul.heartbeat(A.id());

    assertThat(confirmed).isTrue();
    assertThat(checkStatus("service:web-1")).isEqualTo("passing");
    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(warningsContaining("Consul no longer knows instance web-1")).isEqualTo(1);
    assertThat(warningsContaining("404")).isEqualTo(1);
  }

  @Test
  void heartbeatRegistersAgainWhenAnOldAgentAnswers500() {
    server.legacyErrors(true);
    ConsulRegistry consul = client();
    consul.register(A);

    server.forgetAllServices();

    assertThat(consul.heartbeat(A.id())).isTrue();
    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(warningsContaining("does not have associated TTL")).isEqualTo(1);
  }

  @Test
  void anAgentFailingEveryHeartbeatIsReportedOnceNotOnEveryBeat() {
    ConsulRegistry consul = client();
    consul.register(A);

    server.failRequests(500, "boom");
    for (int i = 0; i < 4; i++) {
      consul.heartbeat(A.id());
    }
    server.clearFaults();
    assertThat(consul.heartbeat(A.id())).isTrue();

    assertThat(warningsContaining("Heartbeat of web-1 answered 500: boom")).isEqualTo(1);
    assertThat(warningsContaining("no longer knows")).isZero();
  }

  @Test
  void deregisterRemovesAtOnceAndTakes404AsDone() {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.register(B);

    consul.deregister(A.id());
    server.forgetAllServices();
    consul.deregister(B.id());
    consul.deregister("never-registered");

    assertThat(consul.instances("web")).isEmpty();
    assertThat(consul.heartbeat(A.id())).isFalse();
    assertThat(logs.warnings()).isEmpty();
  }

  @Test
  void closeDeregistersWhatItRegistered() {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.register(B);

    consul.close();

    assertThat(http.get("/v1/agent/services").json()).isEmpty();
    assertThatThrownBy(() -> consul.instances("web"))
        .isInstanceOf(IllegalStateException.class).hasMessage("ConsulRegistry is closed");
  }

  @Test
  void registrationConsulRefusesThrowsItsTextAndIsDropped() {
    ConsulRegistry consul = client();
    ServiceInstance anyAddress = ServiceInstance.of("web-9", "web", "0.0.0.0", 80);

    assertThatThrownBy(() -> consul.register(anyAddress))
        .isInstanceOfSatisfying(ConsulException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.body()).isEqualTo("Invalid service address");
          assertThat(e).hasMessage("Consul answered 400 to PUT /v1/agent/service/register:"
              + " Invalid service address");
        });
    assertThat(consul.heartbeat("web-9")).isFalse();
  }

  @Test
  void registrationWhileConsulIsDownIsKeptAndCompletedByAHeartbeat() {
    int port = server.port();
    server.close();
    ConsulRegistry consul = client(builder().address("127.0.0.1:" + port));

    consul.register(A);
    assertThat(consul.heartbeat(A.id())).isFalse();
    server = DevRegistryServer.builder().port(port).ticker(serverNanos::get).start();
    http = new RawHttp(server.uri());

    assertThat(consul.heartbeat(A.id())).isTrue();
    assertThat(checkStatus("service:web-1")).isEqualTo("passing");
    assertThat(warningsContaining("Could not register web-1 with Consul yet")).isEqualTo(1);
  }

  @Test
  void metadataConsulWouldRefuseIsRejectedBeforeSending() {
    ConsulRegistry consul = client();
    ServiceInstance bad = new ServiceInstance("web-3", "web", "127.0.0.1", 1, List.of(),
        Map.of("not valid", "x"));

    assertThatThrownBy(() -> consul.register(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("metadata key of web-3 must be 1 to 128 letters, digits, '_' or '-' and not"
            + " start with 'consul-' for Consul: was 'not valid'");
    assertThat(server.requests()).isEmpty();
  }

  // ---- tokens and addresses -----------------------------------------------------------------

  private void restartWithAcl() {
    server.close();
    server = DevRegistryServer.builder().aclToken("s3cret").ticker(serverNanos::get).start();
    http = new RawHttp(server.uri());
  }

  @Test
  void configuredTokenIsSentAsXConsulToken() {
    restartWithAcl();
    ConsulRegistry consul = client(builder().address(server.uri().toString()).token("s3cret"));

    consul.register(A);

    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(server.requests()).extracting(RecordedRequest::token).containsOnly("s3cret");
  }

  @Test
  void tokenComesFromTheEnvironmentAndTheTokenFileWins(@TempDir Path dir) throws Exception {
    restartWithAcl();
    Path file = dir.resolve("token");
    Files.writeString(file, "\n  s3cret \n");
    Map<String, String> env = Map.of(
        "CONSUL_HTTP_ADDR", server.uri().toString(),
        "CONSUL_HTTP_TOKEN", "wrong",
        "CONSUL_HTTP_TOKEN_FILE", file.toString());
    ConsulRegistry consul = client(ConsulRegistry.builder().environment(env::get)
        .automaticHeartbeats(false));

    consul.register(A);

    assertThat(consul.instances("web")).containsExactly(A);
    ConsulRegistry fromVariable = client(ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_ADDR", server.uri().toString(),
            "CONSUL_HTTP_TOKEN", "s3cret")::get));
    assertThat(fromVariable.instances("web")).containsExactly(A);
  }

  @Test
  void unreadableTokenFileIsAClearError(@TempDir Path dir) {
    Path missing = dir.resolve("missing");

    assertThatThrownBy(() -> ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_TOKEN_FILE", missing.toString())::get).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_TOKEN_FILE names a file that cannot be read: was " + missing);
  }

  @Test
  void aTokenThatCannotBeAHeaderIsRefusedAtBuildWithoutShowingIt(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("token");
    Files.writeString(file, "s3cret-token\n# rotated 2026-12-01\n");
    assertThatThrownBy(() -> ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString())::get).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CONSUL_HTTP_TOKEN_FILE").hasMessageContaining("a line break")
        .message().doesNotContain("s3cret");
    assertThatThrownBy(() -> ConsulRegistry.builder().token("t\u00f6k\u20acn").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside visible ASCII").message().doesNotContain("t\u00f6k");
  }

  @Test
  void anAddressWithABadPortIsRefusedNamingThePort() {
    for (String address : new String[] {"127.0.0.1:99999", "http://127.0.0.1:0",
        "127.0.0.1:abc", "127.0.0.1:-1"}) {
      assertThatThrownBy(() -> ConsulRegistry.builder().address(address).build())
          .as(address).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must have a port from 1 to 65535").hasMessageContaining(
              address.replace("http://", ""));
    }
  }

  @Test
  void missingOrWrongTokenSurfacesConsuls403Text() {
    restartWithAcl();
    ConsulRegistry anonymous = client(builder().address(server.uri().toString()));
    ConsulRegistry wrong = client(builder().address(server.uri().toString()).token("guess"));

    assertThatThrownBy(() -> anonymous.register(A))
        .isInstanceOf(ConsulException.class)
        .hasMessage("Consul answered 403 to PUT /v1/agent/service/register: Permission denied:"
            + " token with AccessorID '00000000-0000-0000-0000-000000000002' lacks permission"
            + " 'service:write' on \"web\"");
    assertThatThrownBy(() -> wrong.register(A))
        .isInstanceOfSatisfying(ConsulException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.body()).isEqualTo("ACL not found");
        });
    assertThat(wrong.instances("web")).isEmpty();
    assertThat(warningsContaining("403")).isEqualTo(1);
    assertThat(warningsContaining("ACL not found")).isEqualTo(1);
  }

  @Test
  void addressAndSchemeComeFromConsulHttpAddr() {
    ConsulRegistry https = client(ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_ADDR", "https://127.0.0.1:8501/consul/")::get));
    ConsulRegistry bare = client(ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_ADDR", "127.0.0.1")::get));
    ConsulRegistry forcedTls = client(ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_ADDR", "127.0.0.1:8500", "CONSUL_HTTP_SSL", "true")::get));
    ConsulRegistry configured = client(ConsulRegistry.builder().address("http://127.0.0.1")
        .environment(Map.of("CONSUL_HTTP_ADDR", "127.0.0.1:9999")::get));
    ConsulRegistry defaults = client(ConsulRegistry.builder().environment(name -> null));

    assertThat(https.address()).hasToString("https://127.0.0.1:8501/consul");
    assertThat(bare.address()).hasToString("http://127.0.0.1:8500");
    assertThat(forcedTls.address()).hasToString("https://127.0.0.1:8500");
    assertThat(configured.address()).hasToString("http://127.0.0.1:80");
    assertThat(defaults.address()).hasToString("http://127.0.0.1:8500");
  }

  @Test
  void unsupportedAddressesAreClearErrors() {
    assertThatThrownBy(() -> ConsulRegistry.builder()
        .environment(Map.of("CONSUL_HTTP_ADDR", "unix:///var/run/consul.sock")::get).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("CONSUL_HTTP_ADDR must be an http or https address; unix sockets are not"
            + " supported: was unix:///var/run/consul.sock");
    assertThatThrownBy(() -> ConsulRegistry.builder().address("ftp://127.0.0.1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("address: Unknown protocol scheme: ftp");
    assertThatThrownBy(() -> ConsulRegistry.builder().address("http://:8500").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("address must name a host: was :8500");
  }

  @Test
  void builderNamesTheBadSetting() {
    assertThatThrownBy(() -> builder().blockingWait(Duration.ofMinutes(11)).build())
        .hasMessage("blockingWait must be between 1 ms and 10 minutes: was PT11M");
    assertThatThrownBy(() -> builder().blockingWait(Duration.ZERO).build())
        .hasMessage("blockingWait must be between 1 ms and 10 minutes: was PT0S");
    assertThatThrownBy(() -> builder().deregisterCriticalServiceAfter(Duration.ofSeconds(30))
        .build()).hasMessage("deregisterCriticalServiceAfter must be at least 1 minute, Consul's"
            + " minimum: was PT30S");
    assertThatThrownBy(() -> builder().checkTtl(Duration.ofSeconds(10))
        .heartbeatInterval(Duration.ofSeconds(10)).build())
        .hasMessage("heartbeatInterval must be shorter than checkTtl (PT10S): was PT10S");
    assertThatThrownBy(() -> builder().maxResponseBytes(10).build())
        .hasMessage("maxResponseBytes must be at least 1024: was 10");
    assertThatThrownBy(() -> builder().requestTimeout(Duration.ofSeconds(-1)).build())
        .hasMessage("requestTimeout must be positive: was PT-1S");
    assertThatThrownBy(() -> builder().retryBackoff(Duration.ofSeconds(2))
        .maxRetryBackoff(Duration.ofSeconds(1)).build())
        .hasMessage("maxRetryBackoff must not be shorter than retryBackoff (PT2S): was PT1S");
  }

  // ---- discovery and blocking queries -------------------------------------------------------

  @Test
  void instancesAnswersPassingInstancesOnlyWithTheNodeAddressAsFallback() {
    ConsulRegistry consul = client();
    consul.register(A);
    http.put("/v1/agent/service/register", "{\"ID\":\"web-5\",\"Name\":\"web\",\"Port\":85,"
        + "\"Check\":{\"TTL\":\"30s\"}}");
    assertThat(consul.instances("web")).containsExactly(A);

    http.put("/v1/agent/check/pass/service:web-5");

    assertThat(consul.instances("web"))
        .containsExactly(A, ServiceInstance.of("web-5", "web", "127.0.0.1", 85));
    assertThat(consul.instances("nothing")).isEmpty();
  }

  @Test
  void watchDeliversTheListThenOnlyRealChanges() {
    ConsulRegistry consul = client();
    consul.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();

    consul.watch("web", seen::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
    consul.register(B);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    // Several blocking queries time out with nothing changed, and a heartbeat wakes them.
    int before = healthRequests().size();
    consul.heartbeat(A.id());
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= before + 3);
    consul.deregister(A.id());
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 3);

    assertThat(seen).containsExactly(List.of(A), List.of(A, B), List.of(B));
  }

  @Test
  void watchSendsAnExplicitWaitAndTheLastIndex() {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.watch("web", list -> { });

    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= 3);
    List<RecordedRequest> requests = healthRequests();
    long index = http.get("/v1/health/service/web").index();

    assertThat(requests.get(0).param("index")).isNull();
    assertThat(requests.get(0).param("passing")).isEmpty();
    for (RecordedRequest request : requests.subList(1, requests.size())) {
      assertThat(request.param("wait")).isEqualTo("300ms");
      assertThat(request.param("index")).isEqualTo(Long.toString(index));
    }
  }

  @Test
  void watchStartsOverWhenTheIndexGoesBackwards() {
    ConsulRegistry consul = client();
    consul.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    consul.watch("web", seen::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= 2);
    long high = Long.parseLong(healthRequests().get(1).param("index"));

    server.rewindIndexes();
    consul.register(B);

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(List.of(A, B)));
    List<String> indexes = healthRequests().stream().map(r -> r.param("index")).toList();
    int reset = indexes.lastIndexOf(null);
    assertThat(reset).as("a request without index after the rewind: %s", indexes).isPositive();
    assertThat(indexes.get(reset - 1)).isEqualTo(Long.toString(high));
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() > reset + 1);
    assertThat(Long.parseLong(healthRequests().get(reset + 1).param("index"))).isLessThan(high);
  }

  @Test
  void indexZeroIsNeverSentBackAndWakeUpsWithoutChangeStayQuiet() {
    server.reportIndexZero(true);
    ConsulRegistry consul = client();
    consul.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();

    consul.watch("web", seen::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= 20);

    assertThat(healthRequests()).extracting(r -> r.param("index")).doesNotContain("0")
        .contains("1");
    assertThat(seen).containsExactly(List.of(A));
  }

  @Test
  void rateLimiterHoldsABusyLoopToOneRequestPerInterval() {
    server.reportIndexZero(true);
    AtomicLong clientNanos = new AtomicLong();
    List<Long> sleeps = new CopyOnWriteArrayList<>();
    ConsulRegistry consul = client(builder().watchRateLimit(Duration.ofSeconds(1))
        .clock(clientNanos::get, n -> {
          sleeps.add(n);
          clientNanos.addAndGet(n);
        }));

    consul.watch("web", list -> { });
    await().atMost(Duration.ofSeconds(5)).until(() -> sleeps.size() >= 10);
    consul.close();

    int requests = healthRequests().size();
    // A burst of two passes at once; every later request waited for its token.
    assertThat(sleeps).allSatisfy(n -> assertThat(n).isBetween(1L, 1_000_000_000L));
    assertThat(clientNanos.get()).isGreaterThanOrEqualTo((requests - 2) * 999_000_000L);
  }

  @Test
  void backoffDoublesAfterEachFailureUpToTheMaximumAndResetsOnSuccess() {
    server.failRequests(500, "rpc error making call: EOF");
    AtomicLong clientNanos = new AtomicLong();
    List<Long> backoffs = new CopyOnWriteArrayList<>();
    ConsulRegistry consul = client(builder()
        .watchRateLimit(Duration.ofNanos(1))
        .retryBackoff(Duration.ofSeconds(1))
        .maxRetryBackoff(Duration.ofSeconds(8))
        .clock(clientNanos::get, n -> {
          clientNanos.addAndGet(n);
          // The rate limiter's nanosecond pauses are not back-off.
          if (n >= 1_000_000) {
            backoffs.add(n);
            if (backoffs.size() == 6) {
              server.clearFaults();
            }
          }
        }));

    // The first good answer reaches the listener, which breaks Consul again.
    consul.watch("web", list -> server.failRequests(503, ""));
    await().atMost(Duration.ofSeconds(5)).until(() -> backoffs.size() >= 8);
    consul.close();

    assertThat(backoffs.subList(0, 8)).containsExactly(seconds(1), seconds(2), seconds(4),
        seconds(8), seconds(8), seconds(8), seconds(1), seconds(2));
  }

  private static long seconds(long seconds) {
    return Duration.ofSeconds(seconds).toNanos();
  }

  @Test
  void blockingTimeoutAllowsWaitPlusASixteenthPlusTheMargin() {
    ConsulRegistry consul = client(builder().blockingWait(Duration.ofMillis(400))
        .watchTimeoutMargin(Duration.ofMillis(600)));
    consul.register(A);
    consul.watch("web", list -> { });
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= 2);

    // 400 ms wait + 300 ms late stays inside 400 + 25 + 600 ms.
    server.delayReads(Duration.ofMillis(300));
    int before = healthRequests().size();
    await().atMost(Duration.ofSeconds(5)).until(() -> healthRequests().size() >= before + 3);
    assertThat(warningsContaining("timed out")).isZero();

    // 400 ms wait + 1000 ms late does not.
    server.delayReads(Duration.ofMillis(1000));
    await().atMost(Duration.ofSeconds(5)).until(() -> warningsContaining("timed out") == 1);
    assertThat(consul.instances("web")).containsExactly(A);
  }

  @Test
  void blockingTimeoutIsWaitPlusASixteenthPlusTheMargin() {
    ConsulRegistry consul = client(builder().blockingWait(Duration.ofMinutes(5))
        .watchTimeoutMargin(Duration.ofSeconds(5)));

    assertThat(consul.blockingTimeout()).isEqualTo(Duration.ofMillis(300_000 + 18_750 + 5_000));
  }

  @Test
  void watchStartedWhileConsulIsDownBeginsWithTheLastGoodList() {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.instances("web");
    server.close();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();

    consul.watch("web", seen::add);

    assertThat(seen).containsExactly(List.of(A));
  }

  @Test
  void lookupTimeoutKeepsTheLastGoodList() {
    ConsulRegistry consul = client(builder().requestTimeout(Duration.ofMillis(200)));
    consul.register(A);
    assertThat(consul.instances("web")).containsExactly(A);

    server.delayReads(Duration.ofSeconds(2));
    long start = System.nanoTime();
    List<ServiceInstance> answer = consul.instances("web");

    assertThat(answer).containsExactly(A);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(warningsContaining("timed out")).isEqualTo(1);
  }

  @Test
  void catalogAndStatusQueriesAnswerOrThrowConsulsText() {
    ConsulRegistry consul = client();
    consul.register(A);
    http.put("/v1/agent/service/register", "{\"ID\":\"db-1\",\"Name\":\"db\",\"Port\":5432,"
        + "\"Tags\":[\"primary\"],\"Check\":{\"TTL\":\"30s\"}}");

    assertThat(consul.services()).containsExactly(Map.entry("db", List.of("primary")),
        Map.entry("web", List.of("blue")));
    assertThat(consul.catalogInstances("db")).containsExactly(new ServiceInstance("db-1", "db",
        "127.0.0.1", 5432, List.of("primary"), Map.of()));
    assertThat(consul.leader()).contains("127.0.0.1:8300");
    assertThat(consul.peers()).containsExactly("127.0.0.1:8300");
    assertThat(consul.nodeName()).isEqualTo("breakwater-dev");

    server.loseLeader(true);
    assertThat(consul.leader()).isEmpty();
    assertThatThrownBy(consul::services).isInstanceOf(ConsulException.class)
        .hasMessage("Consul answered 500 to GET /v1/catalog/services: No cluster leader");
  }

  // ---- the last good list -------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = Corruption.class, names = "UNKNOWN_FIELDS", mode = EnumSource.Mode.EXCLUDE)
  void garbageKeepsTheLastGoodListWithOneWarning(Corruption corruption) {
    ConsulRegistry consul = client();
    consul.register(A);
    assertThat(consul.instances("web")).containsExactly(A);
    consul.register(B);

    server.corruptReads(corruption);
    List<ServiceInstance> first = consul.instances("web");
    List<ServiceInstance> second = consul.instances("web");

    assertThat(first).containsExactly(A);
    assertThat(second).containsExactly(A);
    assertThat(logs.warnings()).hasSize(1);
    assertThat(logs.warnings().get(0)).contains("keeping the last good list of 'web'");
    server.clearFaults();
    assertThat(consul.instances("web")).containsExactly(A, B);
  }

  @Test
  void unknownFieldsAreAcceptedAsAGoodAnswer() {
    ConsulRegistry consul = client();
    consul.register(A);
    server.corruptReads(Corruption.UNKNOWN_FIELDS);

    consul.register(B);

    assertThat(consul.instances("web")).containsExactly(A, B);
    assertThat(logs.warnings()).isEmpty();
  }

  @Test
  void eachKindOfProblemIsWarnedOnceUntilConsulRecovers() {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.instances("web");

    server.corruptReads(Corruption.MALFORMED_JSON);
    consul.instances("web");
    consul.instances("web");
    server.corruptReads(Corruption.PORT_ZERO);
    consul.instances("web");
    consul.instances("web");
    server.clearFaults();
    consul.instances("web");
    server.corruptReads(Corruption.MALFORMED_JSON);
    consul.instances("web");

    assertThat(logs.warnings()).hasSize(3);
    assertThat(logs.warnings().get(0)).contains("malformed JSON");
    assertThat(logs.warnings().get(1)).contains("invalid instance", "port 0");
    assertThat(logs.messages(ch.qos.logback.classic.Level.INFO))
        .contains("Consul answers for service 'web' again");
  }

  @Test
  void watchKeepsItsListThroughGarbageAndCatchesUpAfterwards() {
    ConsulRegistry consul = client();
    consul.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    consul.watch("web", seen::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

    server.corruptReads(Corruption.WRONG_TYPES);
    consul.register(B);
    await().atMost(Duration.ofSeconds(5)).until(() -> warningsContaining("unexpected JSON") == 1);
    assertThat(seen).containsExactly(List.of(A));

    server.clearFaults();
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    assertThat(seen).containsExactly(List.of(A), List.of(A, B));
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 503, 429})
  void errorStatusesKeepTheLastGoodListAndShowConsulsText(int status) {
    ConsulRegistry consul = client();
    consul.register(A);
    consul.instances("web");

    server.failRequests(status, "rpc error: status " + status);

    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(logs.warnings()).singleElement().asString()
        .contains("Consul answered " + status, "rpc error: status " + status);
  }

  @Test
  void stoppedConsulLeavesTheCachedListAndSaysHowStaleItIs() {
    AtomicLong clientNanos = new AtomicLong();
    ConsulRegistry consul = client(builder().clock(clientNanos::get, clientNanos::addAndGet));
    consul.register(A);
    assertThat(consul.instances("web")).containsExactly(A);

    server.close();
    clientNanos.addAndGet(Duration.ofSeconds(12).toNanos());

    assertThat(consul.instances("web")).containsExactly(A);
    assertThat(consul.instances("never-seen")).isEmpty();
    assertThat(logs.warnings()).hasSize(2);
    assertThat(logs.warnings().get(0)).contains("unreachable", "stale for 12.0 s");
    assertThat(logs.warnings().get(1)).contains("no good list of 'never-seen' yet");
  }

  @Test
  void leaderLossKeepsTheLastGoodListUnlessStaleReadsAreAllowed() {
    ConsulRegistry consistent = client();
    ConsulRegistry stale = client(builder().staleReads(true));
    consistent.register(A);
    consistent.instances("web");

    server.loseLeader(true);
    consistent.register(B);

    assertThat(consistent.instances("web")).containsExactly(A);
    assertThat(warningsContaining("No cluster leader")).isEqualTo(1);
    assertThat(stale.instances("web")).containsExactly(A, B);
  }

  // ---- robustness ---------------------------------------------------------------------------

  @Test
  void throwingListenerDoesNotStopTheWatch() {
    ConsulRegistry consul = client();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    consul.watch("web", list -> {
      seen.add(list);
      throw new IllegalStateException("listener bug");
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);

    consul.register(A);

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    assertThat(seen).containsExactly(List.of(), List.of(A));
  }

  @Test
  void secondWatchOfAServiceSharesTheLoopAndGetsTheCurrentList() {
    ConsulRegistry consul = client();
    consul.register(A);
    List<List<ServiceInstance>> first = new CopyOnWriteArrayList<>();
    List<List<ServiceInstance>> second = new CopyOnWriteArrayList<>();
    consul.watch("web", first::add);
    await().atMost(Duration.ofSeconds(5)).until(() -> first.size() == 1);

    consul.watch("web", second::add);

    assertThat(second).containsExactly(List.of(A));
    assertThat(watchThreads()).isEqualTo(1);
  }

  @Test
  void closingTheLastWatchOfAServiceStopsItsThread() {
    ConsulRegistry consul = client();
    Registry.Watch first = consul.watch("web", list -> { });
    Registry.Watch second = consul.watch("web", list -> { });
    await().atMost(Duration.ofSeconds(5)).until(() -> watchThreads() == 1);

    first.close();
    assertThat(watchThreads()).isEqualTo(1);
    second.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> watchThreads() == 0);
  }

  @Test
  void closeStopsEveryThreadItStarted() {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    ConsulRegistry consul = client(builder().automaticHeartbeats(true));
    consul.register(A);
    consul.watch("web", list -> { });
    consul.watch("api", list -> { });
    await().atMost(Duration.ofSeconds(5)).until(() -> ourThreads(before) >= 3);

    consul.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> ourThreads(before) == 0);
  }

  private static long watchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals("breakwater-consul-watch-web"))
        .count();
  }

  private static long ourThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t) && t.isAlive())
        .filter(t -> t.getName().startsWith("breakwater-consul-"))
        .count();
  }
}
