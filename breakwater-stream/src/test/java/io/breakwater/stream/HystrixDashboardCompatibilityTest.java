package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Hystrix Dashboard 1.5.18 (its war, unpacked by the build into target/hystrix-dashboard)
 * reads our stream unchanged: every key its scripts assert is in our messages, single-host and
 * fleet, and its real monitor page, run in Chromium, draws our circuits and pools.
 */
class HystrixDashboardCompatibilityTest {

  private static final Path DASHBOARD = Path.of("target", "hystrix-dashboard");
  private static final Pattern REQUIRED =
      Pattern.compile("^\\s*assertNotNull\\(data,\\s*\"([A-Za-z0-9_.]+)\"\\)", Pattern.MULTILINE);

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    runtime.close();
  }

  /** The keys a dashboard script refuses to draw without (commented-out checks excluded). */
  static Set<String> requiredKeys(String script) throws IOException {
    String js = Files.readString(DASHBOARD.resolve(script));
    Set<String> keys = new LinkedHashSet<>();
    Matcher m = REQUIRED.matcher(js);
    while (m.find()) {
      keys.add(m.group(1));
    }
    return keys;
  }

  private void traffic() {
    runtime.configure("catalog.search", CommandConfig.builder().group("Catalog").build());
    runtime.configure("prices.quote", CommandConfig.builder().group("Prices")
        .isolation(Isolation.SEMAPHORE).requestVolumeThreshold(2).build());
    for (int i = 0; i < 5; i++) {
      runtime.execute("catalog.search", () -> "found");
    }
    for (int i = 0; i < 3; i++) {
      runtime.execute("prices.quote", () -> {
        throw new IllegalStateException("down");
      }, (k, c) -> "cached price");
    }
  }

  @Test
  void everyKeyTheDashboardScriptsRequireIsInOurMessages() throws Exception {
    Set<String> command = requiredKeys("components/hystrixCommand/hystrixCommand.js");
    Set<String> pool = requiredKeys("components/hystrixThreadPool/hystrixThreadPool.js");
    assertThat(command).hasSizeGreaterThan(30).contains("rollingCountBadRequests",
        "propertyValue_metricsRollingStatisticalWindowInMilliseconds");
    assertThat(pool).hasSizeGreaterThan(10).contains("currentQueueSize");
    traffic();
    BreakwaterServer server = BreakwaterServer.builder().runtime(runtime).port(0).start();
    toClose.add(server);

    try (StreamClient s = StreamClient.open(server.uri().resolve("/hystrix.stream"))) {
      for (String name : List.of("catalog.search", "prices.quote")) {
        JsonNode m = s.next("HystrixCommand", name, Duration.ofSeconds(3));
        command.forEach(k -> assertThat(m.hasNonNull(k)).as(name + " has " + k).isTrue());
      }
      JsonNode p = s.next("HystrixThreadPool", "Catalog", Duration.ofSeconds(3));
      pool.forEach(k -> assertThat(p.hasNonNull(k)).as("pool has " + k).isTrue());
    }

    EmbeddedRegistry registry = EmbeddedRegistry.create();
    toClose.add(registry);
    registry.register(ServiceInstance.of("shop-1", "shop", "127.0.0.1", server.port()));
    BreakwaterServer agg = BreakwaterServer.builder().runtime(runtime).port(0)
        .registry(registry).start();
    toClose.add(0, agg);
    try (StreamClient s = StreamClient.open(agg.uri().resolve("/turbine.stream?service=shop"))) {
      JsonNode m = s.next("HystrixCommand", "prices.quote", Duration.ofSeconds(10));
      command.forEach(k -> assertThat(m.hasNonNull(k)).as("fleet has " + k).isTrue());
      JsonNode p = s.next("HystrixThreadPool", "Catalog", Duration.ofSeconds(3));
      pool.forEach(k -> assertThat(p.hasNonNull(k)).as("fleet pool has " + k).isTrue());
    }
  }

  @Test
  void theHystrixDashboardMonitorPageDrawsOurStreamInChromium() throws Exception {
    assumeTrue(Chromium.available(), "Chromium is not installed at " + Chromium.BINARY
        + ": the browser half of the Hystrix Dashboard check is skipped");
    traffic();
    BreakwaterServer server = BreakwaterServer.builder().runtime(runtime).port(0).start();
    toClose.add(server);
    HttpServer dashboard = serveDashboard(server.uri().resolve("/hystrix.stream?delay=500"));
    toClose.add(0, () -> dashboard.stop(0));
    URI monitor = URI.create("http://127.0.0.1:" + dashboard.getAddress().getPort()
        + "/monitor/monitor.html?stream=breakwater&title=Breakwater");

    try (Chromium browser = Chromium.open(monitor)) {
      browser.awaitEval("document.querySelectorAll('[id^=CIRCUIT_]').length",
          v -> v.asInt() >= 2, Duration.ofSeconds(20));
      browser.awaitEval("document.querySelectorAll('[id^=THREAD_POOL_]').length",
          v -> v.asInt() >= 1, Duration.ofSeconds(10));
      String circuits = browser.eval("Array.from(document.querySelectorAll('[id^=CIRCUIT_]'))"
          + ".map(function(e){return e.id;}).join(',')").asText();
      assertThat(circuits).contains("CIRCUIT_catalog.search", "CIRCUIT_prices.quote");
      browser.awaitEval("(document.getElementById('CIRCUIT_prices.quote_0')||{}).textContent"
          + " || ''", v -> v.asText().contains("Open"), Duration.ofSeconds(10));
      browser.screenshot(Path.of("target", "hystrix-dashboard-with-breakwater.png"));
      assertThat(browser.console).noneMatch(l -> l.contains("Key Missing"));
      assertThat(browser.console).noneMatch(l -> l.startsWith("exception"));
      assertThat(browser.console).noneMatch(l -> l.contains("Failed preProcessData"));
    }
  }

  /**
   * The two underscore.js functions the monitor page uses. The page loads underscore from a
   * CDN; the test serves the page with this local stand-in instead, so nothing leaves the
   * machine.
   */
  private static final String UNDERSCORE = "window._ = {"
      + " map: function (l, f) { return Array.prototype.map.call(l, f); },"
      + " reduce: function (l, f, m) { return Array.prototype.reduce.call(l, f, m); } };";

  /**
   * Serves the dashboard's own files, and at /proxy.stream (where its monitor page connects)
   * relays our stream. The relay has one fixed upstream and ignores the page's origin
   * parameter: the dashboard's open proxy is not reproduced.
   */
  private static HttpServer serveDashboard(URI stream) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-dashboard-http");
      t.setDaemon(true);
      return t;
    }));
    http.createContext("/", ex -> {
      String path = ex.getRequestURI().getPath();
      Path file = DASHBOARD.resolve(path.substring(1)).normalize();
      if (path.equals("/proxy.stream")) {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream;charset=UTF-8");
        ex.sendResponseHeaders(200, 0);
        try (InputStream in = new URL(stream.toString()).openStream();
            OutputStream out = ex.getResponseBody()) {
          byte[] buf = new byte[8192];
          for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            out.flush();
          }
        } catch (IOException closed) {
          // The page or the server went away.
        }
      } else if (path.equals("/local/underscore.js")) {
        byte[] body = UNDERSCORE.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/javascript");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
      } else if (file.startsWith(DASHBOARD) && Files.isRegularFile(file)) {
        String type = path.endsWith(".js") ? "text/javascript" : path.endsWith(".css")
            ? "text/css" : path.endsWith(".html") ? "text/html" : "application/octet-stream";
        byte[] body = Files.readAllBytes(file);
        if (path.equals("/monitor/monitor.html")) {
          body = new String(body, StandardCharsets.UTF_8).replaceAll(
              "//cdnjs[^\"]*underscore[^\"]*", "/local/underscore.js")
              .getBytes(StandardCharsets.UTF_8);
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
      } else {
        ex.sendResponseHeaders(404, -1);
      }
      ex.close();
    });
    http.start();
    return http;
  }
}
