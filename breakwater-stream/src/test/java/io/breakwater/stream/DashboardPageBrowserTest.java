package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import java.nio.file.Files;
import java.nio.file.Path;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Breakwater's own page in real headless Chromium against a live stream: an open circuit shows
 * as open with its error percentage, counts follow traffic, the filter and the sort work, and a
 * screenshot lands in target/.
 */
class DashboardPageBrowserTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private BreakwaterServer server;

  @BeforeEach
  void needsChromium() {
    assumeTrue(Chromium.available(), "Chromium is not installed at " + Chromium.BINARY
        + " (apt-get install chromium): the browser test is skipped");
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    runtime.close();
  }

  private static String card(String name) {
    return "document.querySelector('[data-command=\"" + name + "\"]')";
  }

  private static String text(String name, String selector) {
    return "(function(){var c=" + card(name) + "; var e=c&&c.querySelector('" + selector
        + "'); return e?e.textContent:null;})()";
  }

  @Test
  void showsAnOpenCircuitItsErrorPercentageAndCountsThatUpdate() throws Exception {
    runtime.configure("payments.charge", CommandConfig.builder().group("Payments")
        .isolation(Isolation.SEMAPHORE).requestVolumeThreshold(4).errorThresholdPercentage(50)
        .sleepWindowMillis(60_000).build());
    runtime.configure("inventory.lookup", CommandConfig.builder().group("Inventory")
        .isolation(Isolation.SEMAPHORE).build());
    runtime.configure("users.fetch", CommandConfig.builder().group("Users").build());
    runtime.configure("audit.write", CommandConfig.builder().group("Audit")
        .isolation(Isolation.SEMAPHORE).forceOpen(true).build());
    runtime.snapshot("audit.write");
    runtime.execute("payments.charge", () -> "ok");
    for (int i = 0; i < 3; i++) {
      runtime.execute("payments.charge", () -> {
        throw new IllegalStateException("card network down");
      }, (kind, cause) -> "queued for retry");
    }
    for (int i = 0; i < 5; i++) {
      runtime.execute("payments.charge", () -> "short-circuited", (kind, cause) -> "later");
      runtime.execute("inventory.lookup", () -> "in stock");
      runtime.execute("users.fetch", () -> "alice");
    }
    server = BreakwaterServer.builder().runtime(runtime).port(0).title("Checkout").start();

    try (Chromium browser = Chromium.open(server.uri())) {
      browser.awaitEval(text("payments.charge", ".state"), v -> "Open".equals(v.asText()),
          Duration.ofSeconds(15));
      assertThat(browser.eval(text("payments.charge", ".error-pct")).asText()).isEqualTo("75");
      assertThat(browser.eval(card("payments.charge") + ".className").asText())
          .contains("open");
      assertThat(browser.eval(text("payments.charge", ".count-short-circuited .value"))
          .asText()).isEqualTo("5");
      assertThat(browser.eval(text("payments.charge", ".count-failure .value")).asText())
          .isEqualTo("3");
      assertThat(browser.eval(text("payments.charge", ".count-fallback .value")).asText())
          .isEqualTo("8");
      assertThat(browser.eval(text("audit.write", ".state")).asText()).isEqualTo("Forced open");
      assertThat(browser.eval(text("inventory.lookup", ".state")).asText()).isEqualTo("Closed");
      assertThat(browser.eval(text("inventory.lookup", ".count-success .value")).asText())
          .isEqualTo("5");
      browser.awaitEval("document.querySelector('[data-pool=\"Users\"]') !== null",
          JsonNode::asBoolean, Duration.ofSeconds(5));
      assertThat(browser.eval("document.getElementById('title').textContent").asText())
          .isEqualTo("Checkout");

      for (int i = 0; i < 7; i++) {
        runtime.execute("inventory.lookup", () -> "in stock");
      }
      browser.awaitEval(text("inventory.lookup", ".count-success .value"),
          v -> "12".equals(v.asText()), Duration.ofSeconds(5));

      // Sorted by error %: the open circuit comes first.
      assertThat(browser.eval("document.querySelector('#circuits .card').dataset.command")
          .asText()).isEqualTo("payments.charge");
      browser.eval("document.querySelector('[data-sort=name]').click()");
      browser.awaitEval("Array.from(document.querySelectorAll('#circuits .card'))"
          + ".map(function(c){return c.dataset.command;}).join(',')",
          v -> v.asText().equals("audit.write,inventory.lookup,payments.charge,users.fetch"),
          Duration.ofSeconds(3));

      Path shot = Path.of("target", "breakwater-dashboard.png");
      browser.screenshot(shot);
      assertThat(Files.size(shot)).isGreaterThan(10_000);

      browser.eval("(function(){var f=document.getElementById('filter'); f.value='pay';"
          + " f.dispatchEvent(new Event('input'));})()");
      browser.awaitEval("document.querySelectorAll('#circuits .card').length",
          v -> v.asInt() == 1, Duration.ofSeconds(3));
      assertThat(browser.console).noneMatch(l -> l.startsWith("exception"));
      assertThat(browser.console).noneMatch(l -> l.startsWith("error"));
    }
  }

  @Test
  void theSelectorOffersTheRegistrysServicesAndShowsTheFleet() throws Exception {
    EmbeddedRegistry registry = EmbeddedRegistry.create();
    List<AutoCloseable> instances = new ArrayList<>();
    try {
      for (int i = 1; i <= 2; i++) {
        BreakwaterRuntime rt = BreakwaterRuntime.create();
        instances.add(rt);
        rt.configure("search.query", CommandConfig.builder().group("Search")
            .isolation(Isolation.SEMAPHORE).requestVolumeThreshold(2).build());
        for (int n = 0; n < 3 * i; n++) {
          rt.execute("search.query", () -> "hit");
        }
        if (i == 2) {
          for (int n = 0; n < 6; n++) {
            rt.execute("search.query", () -> {
              throw new IllegalStateException("index down");
            }, (k, c) -> "stale results");
          }
        }
        BreakwaterServer s = BreakwaterServer.builder().runtime(rt).port(0).start();
        instances.add(0, s);
        registry.register(ServiceInstance.of("search-" + i, "search", "127.0.0.1", s.port()));
      }
      server = BreakwaterServer.builder().runtime(runtime).port(0).registry(registry)
          .services("search").start();

      try (Chromium browser = Chromium.open(server.uri())) {
        browser.awaitEval("Array.from(document.querySelectorAll('#source option'))"
            + ".map(function(o){return o.value;}).join(',')",
            v -> v.asText().contains("service|search|search-2"), Duration.ofSeconds(10));
        browser.eval("(function(){var s=document.getElementById('source');"
            + " s.value='service|search'; s.dispatchEvent(new Event('change'));})()");
        browser.awaitEval(text("search.query", ".state"),
            v -> "Open on 1 of 2".equals(v.asText()), Duration.ofSeconds(15));
        // 9 successes and 6 failures over the fleet: 40 %, from the summed counts.
        assertThat(browser.eval(text("search.query", ".error-pct")).asText()).isEqualTo("40");
        assertThat(browser.eval(text("search.query", ".count-success .value")).asText())
            .isEqualTo("9");
        assertThat(browser.eval(text("search.query", ".meta")).asText()).startsWith("2 hosts");
        browser.screenshot(Path.of("target", "breakwater-dashboard-fleet.png"));
      }
    } finally {
      for (AutoCloseable c : instances) {
        c.close();
      }
      registry.close();
    }
  }
}
