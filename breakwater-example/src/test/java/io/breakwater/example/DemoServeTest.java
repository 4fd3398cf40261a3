package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code demo --serve}: the dashboard, the stream and Prometheus text over real HTTP. */
class DemoServeTest {

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private static Set<String> breakwaterThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("breakwater-"))
        .collect(Collectors.toSet());
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The first {@code data:} line of the stream, then the connection is closed. */
  private String firstEvent(String url) throws Exception {
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/event-stream"));
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("data: ")) {
          return line.substring("data: ".length());
        }
      }
    }
    throw new AssertionError("the stream ended without an event");
  }

  @Test
  void demoServeKeepsTheDashboardStreamAndMetricsUpAfterTheScenarioUntilStopped()
      throws Exception {
    Set<String> before = breakwaterThreads();
    String output;
    try (RunningCommand demo = RunningCommand.start(Map.of(),
        "demo", "--duration", "4", "--rate", "10", "--serve", "--port", "0")) {
      String url = demo.awaitOutput("Dashboard: (http://127\\.0\\.0\\.1:\\d+/) - still serving",
          Duration.ofSeconds(30));

      HttpResponse<String> page = get(url);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/html"));
      assertThat(page.body()).contains("<html");

      String event = firstEvent(url + "hystrix.stream");
      assertThat(event).contains("\"type\":\"HystrixCommand\"")
          .contains("\"name\":\"my_command\"");

      HttpResponse<String> metrics = get(url + "metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("breakwater_command_events_total{")
          .contains("command=\"my_command\"").contains("event=\"success\"");

      // Still calling, healthy, after the scenario.
      long successes = successCount(get(url + "metrics").body());
      await().atMost(Duration.ofSeconds(10))
          .until(() -> successCount(get(url + "metrics").body()) > successes);

      assertThat(demo.stop(Duration.ofSeconds(15))).isZero();
      output = demo.out();
      assertThat(demo.err()).isEmpty();
    }
    assertThat(output).contains("Response: Hello World").contains("Summary: ")
        .containsPattern("Dashboard: http://127\\.0\\.0\\.1:\\d+/ \\(stream at ")
        .endsWith("Demo stopped" + System.lineSeparator());
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(breakwaterThreads()).isSubsetOf(before));
  }

  private static long successCount(String prometheusText) {
    return prometheusText.lines()
        .filter(l -> l.startsWith("breakwater_command_events_total{")
            && l.contains("command=\"my_command\"") && l.contains("event=\"success\""))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
