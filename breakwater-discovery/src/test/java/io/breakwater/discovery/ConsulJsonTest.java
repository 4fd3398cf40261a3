package io.breakwater.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.discovery.ConsulProblem.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The client's parsing, first against Consul's documented examples, then against garbage. */
class ConsulJsonTest {

  private static byte[] resource(String name) {
    try (InputStream in = ConsulJsonTest.class.getResourceAsStream("/consul-docs/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsTheDocumentedHealthServiceExample() throws ConsulProblem {
    List<ServiceInstance> instances = ConsulJson.health(resource("health-service.json"), "redis");

    assertThat(instances).containsExactly(new ServiceInstance("redis", "redis", "10.1.10.12",
        8000, List.of("primary"), Map.of("redis_version", "4.0")));
  }

  @Test
  void readsTheDocumentedCatalogServiceExample() throws ConsulProblem {
    List<ServiceInstance> instances = ConsulJson.catalogService(resource("catalog-service.json"));

    assertThat(instances).containsExactly(new ServiceInstance("32a2a47f7992:nodea:5000", "web",
        "172.17.0.3", 5000, List.of("prod"), Map.of("web_meta_value", "baz")));
  }

  @Test
  void readsTheDocumentedCatalogServicesExample() throws ConsulProblem {
    Map<String, List<String>> services =
        ConsulJson.catalogServices(resource("catalog-services.json"));

    assertThat(services).containsExactly(Map.entry("consul", List.of()),
        Map.entry("redis", List.of()), Map.entry("postgresql", List.of("primary", "secondary")));
  }

  @Test
  void readsTheDocumentedStatusAndAgentExamples() throws ConsulProblem {
    assertThat(ConsulJson.leader(resource("status-leader.json"))).isEqualTo("10.1.10.12:8300");
    assertThat(ConsulJson.peers(resource("status-peers.json"))).containsExactly("10.1.10.12:8300");
    assertThat(ConsulJson.nodeName(resource("agent-self.json"))).isEqualTo("foobar");
  }

  @Test
  void emptyServiceAddressFallsBackToTheNodeAddress() throws ConsulProblem {
    String body = "[{\"Node\":{\"Address\":\"10.0.0.9\"},\"Service\":{\"ID\":\"a\","
        + "\"Service\":\"web\",\"Address\":\"\",\"Port\":80,\"Tags\":null,\"Meta\":null},"
        + "\"Checks\":[]}]";

    assertThat(ConsulJson.health(json(body), "web"))
        .containsExactly(ServiceInstance.of("a", "web", "10.0.0.9", 80));
  }

  @Test
  void entriesWithAnyNonPassingCheckOrOfAnotherServiceAreLeftOut() throws ConsulProblem {
    String body = "[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Address\":\"h\",\"Port\":1},"
        + "\"Checks\":[{\"Status\":\"passing\"},{\"Status\":\"warning\"}]},"
        + "{\"Service\":{\"ID\":\"b\",\"Service\":\"api\",\"Address\":\"h\",\"Port\":1}},"
        + "{\"Service\":{\"ID\":\"c\",\"Service\":\"web\",\"Address\":\"h\",\"Port\":2}}]";

    assertThat(ConsulJson.health(json(body), "web"))
        .containsExactly(ServiceInstance.of("c", "web", "h", 2));
  }

  @Test
  void unknownFieldsAreIgnored() throws ConsulProblem {
    String body = "[{\"Future\":{\"x\":[1]},\"Service\":{\"ID\":\"a\",\"Service\":\"web\","
        + "\"Address\":\"h\",\"Port\":1,\"PeerName\":\"\",\"Proxy\":{}}}]";

    assertThat(ConsulJson.health(json(body), "web")).hasSize(1);
  }

  @Test
  void malformedJsonIsAProblemNotAnException() {
    assertThatThrownBy(() -> ConsulJson.health(json("[{\"Service\":"), "web"))
        .isInstanceOfSatisfying(ConsulProblem.class,
            p -> assertThat(p.kind()).isEqualTo(Kind.MALFORMED_JSON));
    assertThatThrownBy(() -> ConsulJson.health(json(""), "web"))
        .isInstanceOfSatisfying(ConsulProblem.class,
            p -> assertThat(p.kind()).isEqualTo(Kind.MALFORMED_JSON));
  }

  @Test
  void wrongTypesNameTheField() {
    assertProblem("{\"web\":[]}", Kind.UNEXPECTED_SHAPE,
        "the answer should be an array, was object");
    assertProblem("[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Port\":\"80\"}}]",
        Kind.UNEXPECTED_SHAPE, "Port of Service of entry 0 should be an integer, was string");
    assertProblem("[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Address\":\"h\",\"Port\":1,"
        + "\"Tags\":7}}]", Kind.UNEXPECTED_SHAPE, "Tags of Service of entry 0 should be an array,"
        + " was number");
    assertProblem("[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Address\":\"h\",\"Port\":1,"
        + "\"Meta\":{\"k\":1}}}]", Kind.UNEXPECTED_SHAPE,
        "value 'k' of Meta of Service of entry 0 should be a string, was number");
    assertProblem("[{\"Service\":{\"Service\":\"web\",\"Port\":1}}]", Kind.UNEXPECTED_SHAPE,
        "ID of Service of entry 0 is missing");
  }

  @Test
  void portsOutsideTheTcpRangeMakeTheAnswerInvalid() {
    assertProblem("[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Address\":\"h\",\"Port\":0}}]",
        Kind.INVALID_INSTANCE, "instance 'a' has port 0, outside 1 to 65535");
    assertProblem("[{\"Service\":{\"ID\":\"a\",\"Service\":\"web\",\"Address\":\"h\","
        + "\"Port\":70000}}]", Kind.INVALID_INSTANCE, "instance 'a' has port 70000, outside 1 to"
        + " 65535");
  }

  private static void assertProblem(String body, Kind kind, String message) {
    assertThatThrownBy(() -> ConsulJson.health(json(body), "web"))
        .isInstanceOfSatisfying(ConsulProblem.class, p -> {
          assertThat(p.kind()).isEqualTo(kind);
          assertThat(p.getMessage()).isEqualTo(message);
        });
  }

  @Test
  void goDurationsRoundTrip() {
    assertThat(GoDuration.format(java.time.Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(GoDuration.format(java.time.Duration.ofHours(1))).isEqualTo("1h0m0s");
    assertThat(GoDuration.format(java.time.Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(GoDuration.format(java.time.Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(GoDuration.parse("1m30s")).isEqualTo(java.time.Duration.ofSeconds(90));
    assertThat(GoDuration.parse("300000ms")).isEqualTo(java.time.Duration.ofMinutes(5));
    assertThat(GoDuration.parse("1.5h")).isEqualTo(java.time.Duration.ofMinutes(90));
    assertThat(GoDuration.parse("2us")).isEqualTo(java.time.Duration.ofNanos(2000));
    assertThat(GoDuration.parse("0")).isZero();
    assertThatThrownBy(() -> GoDuration.parse("10")).hasMessage("time: invalid duration \"10\"");
    assertThatThrownBy(() -> GoDuration.parse("1d")).hasMessage("time: invalid duration \"1d\"");
  }
}
