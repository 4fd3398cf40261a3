package io.breakwater.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.breakwater.discovery.DevRegistryServer.Corruption;
import io.breakwater.discovery.RawHttp.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dev registry against the contract of reference/consul-api.md, over raw HTTP. */
class DevRegistryServerTest {

  private static final String WEB_1 = "{\"ID\":\"web-1\",\"Name\":\"web\",\"Tags\":[\"blue\"],"
      + "\"Address\":\"127.0.0.1\",\"Port\":8081,\"Meta\":{\"zone\":\"a\"},"
      + "\"Check\":{\"TTL\":\"30s\",\"DeregisterCriticalServiceAfter\":\"1m\"}}";

  private final AtomicLong nanos = new AtomicLong();
  private DevRegistryServer server;
  private RawHttp http;

  @BeforeEach
  void start() {
    server = DevRegistryServer.builder().ticker(nanos::get).jitter(false).start();
    http = new RawHttp(server.uri());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void advance(Duration duration) {
    nanos.addAndGet(duration.toNanos());
    server.runTimers();
  }

  private JsonNode check(String checkId) {
    return http.get("/v1/agent/checks").json().get(checkId);
  }

  @Test
  void bindsLoopbackByDefault() {
    assertThat(server.uri().getHost()).isEqualTo("127.0.0.1");
    assertThat(server.port()).isPositive();
  }

  @Test
  void writesAnswer200WithEmptyBody() {
    Answer answer = http.put("/v1/agent/service/register", WEB_1);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEmpty();
  }

  @Test
  void newTtlCheckStartsCriticalAndPassTurnsItPassing() {
    http.put("/v1/agent/service/register", WEB_1);

    assertThat(http.get("/v1/health/service/web?passing").json()).isEmpty();
    JsonNode check = check("service:web-1");
    assertThat(check.get("Status").asText()).isEqualTo("critical");
    assertThat(check.get("Name").asText()).isEqualTo("Service 'web' check");
    assertThat(check.get("Type").asText()).isEqualTo("ttl");

    assertThat(http.put("/v1/agent/check/pass/service:web-1?note=ready").status()).isEqualTo(200);

    JsonNode healthy = http.get("/v1/health/service/web?passing").json();
    assertThat(healthy).hasSize(1);
    JsonNode entry = healthy.get(0);
    assertThat(entry.at("/Service/ID").asText()).isEqualTo("web-1");
    assertThat(entry.at("/Service/Port").asInt()).isEqualTo(8081);
    assertThat(entry.at("/Service/Meta/zone").asText()).isEqualTo("a");
    assertThat(entry.at("/Node/Address").asText()).isEqualTo("127.0.0.1");
    assertThat(entry.get("Checks")).extracting(c -> c.get("CheckID").asText())
        .containsExactly("service:web-1", "serfHealth");
    assertThat(check("service:web-1").get("Output").asText()).isEqualTo("ready");
  }

  @Test
  void warnAndFailTakeAnInstanceOutOfPassingResults() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/warn/service:web-1");

    assertThat(http.get("/v1/health/service/web?passing").json()).isEmpty();
    assertThat(http.get("/v1/health/service/web").json()).hasSize(1);

    http.put("/v1/agent/check/pass/service:web-1");
    http.put("/v1/agent/check/fail/service:web-1?note=down");

    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("critical");
    assertThat(check("service:web-1").get("Output").asText()).isEqualTo("down");
  }

  @Test
  void checkUpdateSetsStatusAndOutputAndRejectsUnknownStatus() {
    http.put("/v1/agent/service/register", WEB_1);

    Answer ok = http.put("/v1/agent/check/update/service:web-1",
        "{\"Status\":\"warning\",\"Output\":\"slow\"}");
    Answer bad = http.put("/v1/agent/check/update/service:web-1", "{\"Status\":\"pass\"}");
    Answer garbage = http.put("/v1/agent/check/update/service:web-1", "{\"Status\":");

    assertThat(ok.status()).isEqualTo(200);
    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("warning");
    assertThat(check("service:web-1").get("Output").asText()).isEqualTo("slow");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body()).isEqualTo("Invalid check status: 'pass'");
    assertThat(garbage.status()).isEqualTo(400);
    assertThat(garbage.body()).startsWith("Request decode failed: ");
  }

  @Test
  void ttlExpiryMakesCheckCriticalWithDocumentedOutput() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1");

    advance(Duration.ofSeconds(29));
    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("passing");
    advance(Duration.ofSeconds(1));

    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("critical");
    assertThat(check("service:web-1").get("Output").asText()).isEqualTo("TTL expired");
  }

  @Test
  void ttlExpiryQuotesTheLastOutput() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1?note=all%20good");

    advance(Duration.ofSeconds(30));

    assertThat(check("service:web-1").get("Output").asText())
        .isEqualTo("TTL expired (last output before timeout follows): all good");
  }

  @Test
  void everyPassResetsTheTtl() {
    http.put("/v1/agent/service/register", WEB_1);
    for (int i = 0; i < 4; i++) {
      http.put("/v1/agent/check/pass/service:web-1");
      advance(Duration.ofSeconds(25));
    }

    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("passing");
  }

  @Test
  void criticalServiceIsReapedAtTheFirstReaperRunAfterDeregisterCriticalServiceAfter() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1");
    // TTL runs out at 30 s; critical for 1 m at 90 s; the reaper runs every 30 s from start.
    advance(Duration.ofSeconds(89));
    assertThat(http.get("/v1/agent/services").json().has("web-1")).isTrue();

    advance(Duration.ofSeconds(1));

    assertThat(http.get("/v1/agent/services").json().has("web-1")).isFalse();
    assertThat(http.get("/v1/agent/checks").json().has("service:web-1")).isFalse();
  }

  @Test
  void deregisterCriticalServiceAfterBelowOneMinuteIsRaisedToOneMinute() {
    http.put("/v1/agent/service/register", WEB_1.replace("\"1m\"", "\"10s\""));
    // Critical from registration at 0 s: 10 s would reap at the 30 s run, 1 m at the 60 s one.
    advance(Duration.ofSeconds(59));
    assertThat(http.get("/v1/agent/services").json().has("web-1")).isTrue();

    advance(Duration.ofSeconds(1));

    assertThat(http.get("/v1/agent/services").json().has("web-1")).isFalse();
  }

  @Test
  void reRegisteringKeepsTheCheckState() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1?note=ok");
    long before = http.get("/v1/health/service/web").index();

    http.put("/v1/agent/service/register", WEB_1);

    assertThat(check("service:web-1").get("Status").asText()).isEqualTo("passing");
    assertThat(http.get("/v1/health/service/web").index()).isEqualTo(before);
  }

  @Test
  void replaceExistingChecksDropsChecksMissingFromTheNewRegistration() {
    http.put("/v1/agent/service/register", "{\"ID\":\"web-1\",\"Name\":\"web\",\"Port\":1,"
        + "\"Checks\":[{\"TTL\":\"10s\"},{\"TTL\":\"20s\"}]}");
    assertThat(http.get("/v1/agent/checks").json().has("service:web-1:1")).isTrue();
    assertThat(http.get("/v1/agent/checks").json().has("service:web-1:2")).isTrue();

    http.put("/v1/agent/service/register", "{\"ID\":\"web-1\",\"Name\":\"web\",\"Port\":1,"
        + "\"Check\":{\"CheckID\":\"service:web-1:1\",\"TTL\":\"10s\"}}");
    assertThat(http.get("/v1/agent/checks").json().has("service:web-1:2")).isTrue();
    http.put("/v1/agent/service/register?replace-existing-checks", "{\"ID\":\"web-1\","
        + "\"Name\":\"web\",\"Port\":1,"
        + "\"Check\":{\"CheckID\":\"service:web-1:1\",\"TTL\":\"10s\"}}");

    assertThat(http.get("/v1/agent/checks").json().has("service:web-1:2")).isFalse();
    assertThat(http.get("/v1/agent/checks").json().has("service:web-1:1")).isTrue();
  }

  @Test
  void registrationDefaultsIdToNameAndAcceptsSnakeCaseAndNullChecks() {
    Answer answer = http.put("/v1/agent/service/register",
        "{\"name\":\"db\",\"port\":5432,\"check\":{\"ttl\":\"10s\","
            + "\"deregister_critical_service_after\":\"2m\",\"status\":\"passing\"},"
            + "\"checks\":null}");

    assertThat(answer.status()).isEqualTo(200);
    JsonNode health = http.get("/v1/health/service/db?passing").json();
    assertThat(health.get(0).at("/Service/ID").asText()).isEqualTo("db");
    assertThat(http.get("/v1/agent/checks").json().has("service:db")).isTrue();
  }

  @Test
  void invalidRegistrationsGetConsulsErrorTexts() {
    assertBadRequest("{\"Port\":1}", "Missing service name");
    assertBadRequest("{\"Name\":\"web\",\"Address\":\"0.0.0.0\"}", "Invalid service address");
    assertBadRequest("{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\",\"Interval\":\"5s\"}}",
        "Invalid check: Interval and TTL cannot both be specified");
    assertBadRequest("{\"Name\":\"web\",\"Check\":{\"HTTP\":\"http://127.0.0.1:1/\"}}",
        "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService"
            + " checks");
    assertBadRequest("{\"Name\":\"web\",\"Check\":{\"Notes\":\"x\",\"Name\":\"n\"}}",
        "Invalid check: TTL must be > 0 for TTL checks");
    assertBadRequest("{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\",\"Status\":\"ok\"}}",
        "Status for checks must 'passing', 'warning', 'critical'");
    assertThat(http.put("/v1/agent/service/register",
        "{\"Name\":\"web\",\"Meta\":{\"a b\":\"c\"}}").body())
        .startsWith("Invalid Service Meta: ");
    assertThat(http.put("/v1/agent/service/register", "{\"Name\":").body())
        .startsWith("Request decode failed: ");
    assertThat(http.put("/v1/agent/service/register",
        "{\"Name\":\"web\",\"Check\":{\"TTL\":\"ten seconds\"}}").body())
        .isEqualTo("Request decode failed: time: invalid duration \"ten seconds\"");
  }

  private void assertBadRequest(String json, String text) {
    Answer answer = http.put("/v1/agent/service/register", json);
    assertThat(answer.status()).as(json).isEqualTo(400);
    assertThat(answer.body()).as(json).isEqualTo(text);
  }

  @Test
  void unknownIdsGet404WithTheCurrentAgentsTexts() {
    Answer deregister = http.put("/v1/agent/service/deregister/nope");
    Answer pass = http.put("/v1/agent/check/pass/service:nope");

    assertThat(deregister.status()).isEqualTo(404);
    assertThat(deregister.body()).isEqualTo("Unknown service ID \"nope\". Ensure that the service"
        + " ID is passed, not the service name.");
    assertThat(pass.status()).isEqualTo(404);
    assertThat(pass.body()).isEqualTo("Unknown check ID \"service:nope\". Ensure that the check ID"
        + " is passed, not the check name.");
  }

  @Test
  void legacyModeAnswersLikeOldAgents() {
    server.legacyErrors(true);

    Answer deregister = http.put("/v1/agent/service/deregister/nope");
    Answer pass = http.put("/v1/agent/check/pass/service:nope");

    assertThat(deregister.status()).isEqualTo(200);
    assertThat(pass.status()).isEqualTo(500);
    assertThat(pass.body()).isEqualTo("CheckID \"service:nope\" does not have associated TTL");
  }

  @Test
  void passingANonTtlCheckIs500() {
    http.put("/v1/agent/service/register", "{\"Name\":\"web\",\"Port\":1,"
        + "\"Check\":{\"TCP\":\"127.0.0.1:1\",\"Interval\":\"10s\"}}");

    Answer answer = http.put("/v1/agent/check/pass/service:web");

    assertThat(answer.status()).isEqualTo(500);
    assertThat(answer.body()).isEqualTo("CheckID \"service:web\" does not have associated TTL");
  }

  @Test
  void wrongMethodGets405WithAllowHeader() {
    Answer get = http.get("/v1/agent/service/register");
    Answer put = http.put("/v1/health/service/web");
    Answer options = http.send("OPTIONS", "/v1/agent/check/pass/x", null);

    assertThat(get.status()).isEqualTo(405);
    assertThat(get.body()).isEqualTo("method GET not allowed");
    assertThat(get.header("Allow")).isEqualTo("OPTIONS,PUT");
    assertThat(put.status()).isEqualTo(405);
    assertThat(put.header("Allow")).isEqualTo("OPTIONS,GET");
    assertThat(options.status()).isEqualTo(200);
    assertThat(options.header("Allow")).isEqualTo("OPTIONS,PUT");
  }

  @Test
  void unknownPathGets404WithConsulsText() {
    Answer answer = http.get("/v1/kv/anything");

    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.body()).isEqualTo("Invalid URL path: not a recognized HTTP API endpoint\n");
  }

  @Test
  void readsCarryIndexLeaderAndContactHeaders() {
    Answer answer = http.get("/v1/health/service/none");

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("[]");
    assertThat(answer.index()).isGreaterThanOrEqualTo(1);
    assertThat(answer.header("X-Consul-KnownLeader")).isEqualTo("true");
    assertThat(answer.header("X-Consul-LastContact")).isEqualTo("0");
    assertThat(answer.header("Content-Type")).isEqualTo("application/json");
  }

  @Test
  void blockingQueryWaitsForWaitWhenNothingChanges() {
    http.put("/v1/agent/service/register", WEB_1);
    long index = http.get("/v1/health/service/web").index();

    long start = System.nanoTime();
    Answer answer = http.get("/v1/health/service/web?index=" + index + "&wait=300ms");
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(tookMs).isBetween(290L, 3000L);
    assertThat(answer.index()).isEqualTo(index);
  }

  @Test
  void blockingQueryReturnsAsSoonAsTheServiceChanges() throws Exception {
    http.put("/v1/agent/service/register", WEB_1);
    long index = http.get("/v1/health/service/web").index();

    CompletableFuture<Answer> blocked = CompletableFuture.supplyAsync(
        () -> http.get("/v1/health/service/web?index=" + index + "&wait=20s"));
    Thread.sleep(100);
    assertThat(blocked).isNotDone();
    http.put("/v1/agent/check/pass/service:web-1");

    Answer answer = blocked.get(5, TimeUnit.SECONDS);
    assertThat(answer.index()).isGreaterThan(index);
    assertThat(answer.json().get(0).at("/Checks/0/Status").asText()).isEqualTo("passing");
  }

  @Test
  void changesToOtherServicesDoNotWakeABlockedQuery() {
    http.put("/v1/agent/service/register", WEB_1);
    long index = http.get("/v1/health/service/web").index();

    CompletableFuture<Answer> blocked = CompletableFuture.supplyAsync(
        () -> http.get("/v1/health/service/web?index=" + index + "&wait=400ms"));
    http.put("/v1/agent/service/register", "{\"Name\":\"db\",\"Port\":5432}");

    assertThat(blocked.join().index()).isEqualTo(index);
  }

  @Test
  void blockedQueryOnAServiceReturnsWhenItsLastInstanceGoes() throws Exception {
    http.put("/v1/agent/service/register", WEB_1);
    long index = http.get("/v1/health/service/web").index();

    CompletableFuture<Answer> blocked = CompletableFuture.supplyAsync(
        () -> http.get("/v1/health/service/web?index=" + index + "&wait=20s"));
    Thread.sleep(100);
    http.put("/v1/agent/service/deregister/web-1");

    Answer answer = blocked.get(5, TimeUnit.SECONDS);
    assertThat(answer.index()).isGreaterThan(index);
    assertThat(answer.body()).isEqualTo("[]");
  }

  @Test
  void ttlExpiryWakesABlockedQuery() throws Exception {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1");
    Answer first = http.get("/v1/health/service/web?passing");
    assertThat(first.json()).hasSize(1);

    CompletableFuture<Answer> blocked = CompletableFuture.supplyAsync(() ->
        http.get("/v1/health/service/web?passing&index=" + first.index() + "&wait=20s"));
    Thread.sleep(100);
    advance(Duration.ofSeconds(30));

    assertThat(blocked.get(5, TimeUnit.SECONDS).json()).isEmpty();
  }

  @Test
  void badQueryParametersGetConsulsTexts() {
    assertThat(http.get("/v1/health/service/web?index=1&wait=forever").body())
        .isEqualTo("Invalid wait time");
    assertThat(http.get("/v1/health/service/web?index=abc").body()).isEqualTo("Invalid index");
    assertThat(http.get("/v1/health/service/web?stale&consistent").body())
        .isEqualTo("Cannot specify ?stale with ?consistent, conflicting semantics.");
    assertThat(http.get("/v1/health/service/web?passing=maybe").body())
        .isEqualTo("Invalid value for ?passing");
    assertThat(http.get("/v1/health/service/").body()).isEqualTo("Missing service name");
    assertThat(http.get("/v1/health/service/web?passing=maybe").status()).isEqualTo(400);
  }

  @Test
  void passingAcceptsGoBooleans() {
    http.put("/v1/agent/service/register", WEB_1);

    assertThat(http.get("/v1/health/service/web?passing=1").json()).isEmpty();
    assertThat(http.get("/v1/health/service/web?passing=true").json()).isEmpty();
    assertThat(http.get("/v1/health/service/web?passing=false").json()).hasSize(1);
  }

  @Test
  void tagFilterRequiresEveryTag() {
    http.put("/v1/agent/service/register", WEB_1);

    assertThat(http.get("/v1/health/service/web?tag=blue").json()).hasSize(1);
    assertThat(http.get("/v1/health/service/web?tag=blue&tag=green").json()).isEmpty();
    assertThat(http.get("/v1/catalog/service/web?tag=green").json()).isEmpty();
  }

  @Test
  void catalogEndpointsAnswerConsulsShapes() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/service/register",
        "{\"ID\":\"web-2\",\"Name\":\"web\",\"Tags\":[\"green\",\"blue\"],\"Port\":8082}");

    JsonNode services = http.get("/v1/catalog/services").json();
    JsonNode catalog = http.get("/v1/catalog/service/web").json();

    assertThat(services.get("web")).extracting(JsonNode::asText).containsExactly("blue", "green");
    assertThat(catalog).hasSize(2);
    assertThat(catalog.get(1).get("ServiceID").asText()).isEqualTo("web-2");
    assertThat(catalog.get(1).get("ServiceAddress").asText()).isEmpty();
    assertThat(catalog.get(1).get("Address").asText()).isEqualTo("127.0.0.1");
    assertThat(catalog.get(1).get("ServicePort").asInt()).isEqualTo(8082);
  }

  @Test
  void agentAndStatusEndpointsAnswer() {
    http.put("/v1/agent/service/register", WEB_1);

    assertThat(http.get("/v1/agent/services").json().get("web-1").get("Service").asText())
        .isEqualTo("web");
    assertThat(http.get("/v1/agent/self").json().at("/Config/NodeName").asText())
        .isEqualTo("breakwater-dev");
    assertThat(http.get("/v1/status/leader").body()).isEqualTo("\"127.0.0.1:8300\"");
    assertThat(http.get("/v1/status/peers").json()).hasSize(1);
  }

  @Test
  void checkOutputIsTruncatedLikeConsul() {
    http.put("/v1/agent/service/register", WEB_1);
    String note = "x".repeat(5000);

    http.put("/v1/agent/check/update/service:web-1",
        "{\"Status\":\"passing\",\"Output\":\"" + note + "\"}");

    assertThat(check("service:web-1").get("Output").asText())
        .isEqualTo("x".repeat(4096) + " ... (captured 4096 of 5000 bytes)");
  }

  @Test
  void aclTokenIsRequiredWhenConfigured() {
    server.close();
    server = DevRegistryServer.builder().aclToken("s3cret").start();
    http = new RawHttp(server.uri());

    Answer anonymous = http.put("/v1/agent/service/register", WEB_1);
    Answer wrong = http.put("/v1/agent/service/register", WEB_1, "X-Consul-Token", "guess");

    assertThat(anonymous.status()).isEqualTo(403);
    assertThat(anonymous.body()).isEqualTo("Permission denied: token with AccessorID"
        + " '00000000-0000-0000-0000-000000000002' lacks permission 'service:write' on \"web\"");
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(wrong.body()).isEqualTo("ACL not found");
    assertThat(http.put("/v1/agent/service/register", WEB_1, "X-Consul-Token", "s3cret").status())
        .isEqualTo(200);
    assertThat(http.get("/v1/health/service/web", "Authorization", "Bearer s3cret").status())
        .isEqualTo(200);
    assertThat(http.get("/v1/health/service/web?token=s3cret").status()).isEqualTo(200);
    assertThat(http.get("/v1/health/service/web").status()).isEqualTo(403);
    assertThat(http.get("/v1/status/leader").status()).isEqualTo(200);
    assertThat(anonymous.header("X-Consul-Default-ACL-Policy")).isEqualTo("deny");
  }

  @Test
  void failRequestsAnswersTheGivenStatusUntilCleared() {
    server.failRequests(503, "rpc error: no path to server");

    Answer failing = http.get("/v1/health/service/web");
    server.clearFaults();

    assertThat(failing.status()).isEqualTo(503);
    assertThat(failing.body()).isEqualTo("rpc error: no path to server");
    assertThat(http.get("/v1/health/service/web").status()).isEqualTo(200);
    assertThatThrownBy(() -> server.failRequests(200, ""))
        .hasMessage("status must be between 400 and 599: was 200");
  }

  @Test
  void indexZeroFaultReportsZero() {
    server.reportIndexZero(true);

    assertThat(http.get("/v1/health/service/web").header("X-Consul-Index")).isEqualTo("0");
  }

  @Test
  void rewindMovesTheIndexBackwards() {
    http.put("/v1/agent/service/register", WEB_1);
    http.put("/v1/agent/check/pass/service:web-1");
    long before = http.get("/v1/health/service/web").index();

    server.rewindIndexes();

    assertThat(http.get("/v1/health/service/web").index()).isLessThan(before);
  }

  @Test
  void delayedReadsAnswerLate() {
    server.delayReads(Duration.ofMillis(300));

    long start = System.nanoTime();
    // Index 1 is behind the server's, so the answer is ready at once and then held back.
    Answer answer = http.get("/v1/health/service/web?index=1&wait=100ms");

    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThan(290);
    assertThat(answer.status()).isEqualTo(200);
  }

  @Test
  void leaderLossFailsDefaultReadsButServesStaleOnes() {
    server.loseLeader(true);
    nanos.addAndGet(Duration.ofSeconds(3).toNanos());

    Answer consistent = http.get("/v1/health/service/web");
    Answer stale = http.get("/v1/health/service/web?stale");

    assertThat(consistent.status()).isEqualTo(500);
    assertThat(consistent.body()).isEqualTo("No cluster leader");
    assertThat(stale.status()).isEqualTo(200);
    assertThat(stale.header("X-Consul-KnownLeader")).isEqualTo("false");
    assertThat(stale.header("X-Consul-LastContact")).isEqualTo("3000");
    assertThat(http.get("/v1/status/leader").body()).isEqualTo("\"\"");
    assertThat(http.put("/v1/agent/service/register", WEB_1).status()).isEqualTo(200);
  }

  @Test
  void forgettingAllServicesMakesHeartbeatsFail() {
    http.put("/v1/agent/service/register", WEB_1);

    server.forgetAllServices();

    assertThat(http.get("/v1/agent/services").json()).isEmpty();
    assertThat(http.put("/v1/agent/check/pass/service:web-1").status()).isEqualTo(404);
  }

  @Test
  void eachCorruptionSpoilsReadsAsAdvertised() {
    http.put("/v1/agent/service/register", WEB_1);
    List<String> bodies = new ArrayList<>();
    for (Corruption corruption : Corruption.values()) {
      if (corruption == Corruption.HUGE_BODY) {
        continue;
      }
      server.corruptReads(corruption);
      Answer answer = http.get("/v1/health/service/web");
      bodies.add(answer.body());
      switch (corruption) {
        case MALFORMED_JSON -> assertThatThrownBy(answer::json).isNotNull();
        case WRONG_TYPES -> assertThat(answer.json().at("/0/Service/Port").isTextual()).isTrue();
        case UNKNOWN_FIELDS -> assertThat(answer.json().at("/0/Service/BreakwaterFutureField")
            .isTextual()).isTrue();
        case MISSING_INDEX_HEADER -> assertThat(answer.header("X-Consul-Index")).isNull();
        case PORT_ZERO -> assertThat(answer.json().at("/0/Service/Port").asInt()).isZero();
        case PORT_OUT_OF_RANGE ->
            assertThat(answer.json().at("/0/Service/Port").asInt()).isEqualTo(70_000);
        default -> throw new AssertionError(corruption);
      }
    }
    assertThat(Set.copyOf(bodies)).hasSize(bodies.size());
  }

  @Test
  void hugeBodyCorruptionSendsMoreThan16MiB() {
    server.corruptReads(Corruption.HUGE_BODY);

    Answer answer = http.get("/v1/health/service/web");

    assertThat(answer.body().length()).isGreaterThan(16 * 1024 * 1024);
  }

  @Test
  void recordsRequestsWithTheirToken() {
    http.get("/v1/health/service/web?passing&index=7", "X-Consul-Token", "t");

    DevRegistryServer.RecordedRequest request = server.requests().get(0);
    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.path()).isEqualTo("/v1/health/service/web");
    assertThat(request.param("passing")).isEmpty();
    assertThat(request.param("index")).isEqualTo("7");
    assertThat(request.token()).isEqualTo("t");
  }

  @Test
  void closeReleasesBlockedQueriesAndStopsItsThreads() throws Exception {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
      try {
        http.get("/v1/health/service/web?index=1000&wait=1m");
      } catch (RuntimeException expected) {
        // The server closed the connection.
      }
    });
    Thread.sleep(200);

    server.close();

    blocked.get(5, TimeUnit.SECONDS);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> !before.contains(t) && t.isAlive())
            .noneMatch(t -> t.getName().startsWith("breakwater-dev-registry-")));
  }

  @Test
  void builderRejectsBadSettings() {
    assertThatThrownBy(() -> DevRegistryServer.builder().port(70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be between 0 and 65535: was 70000");
    assertThatThrownBy(() -> DevRegistryServer.builder().reaperInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reaperInterval must be positive: was PT0S");
    assertThatThrownBy(() -> DevRegistryServer.builder().aclToken(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("aclToken must not be blank");
  }
}
