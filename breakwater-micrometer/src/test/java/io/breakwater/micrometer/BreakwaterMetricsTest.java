package io.breakwater.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Meter values equal the runtime's snapshot and follow commands coming and going. */
class BreakwaterMetricsTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private BreakwaterMetrics metrics;

  @AfterEach
  void tearDown() {
    if (metrics != null) {
      metrics.close();
    }
    runtime.close();
  }

  private BreakwaterMetrics bind(BreakwaterMetrics.Builder b) {
    metrics = b.build();
    metrics.bindTo(registry);
    return metrics;
  }

  private Search command(String meter, String name) {
    return registry.find(meter).tag("command", name);
  }

  private void scripted() {
    runtime.configure("orders.place", CommandConfig.builder().group("Orders")
        .isolation(Isolation.SEMAPHORE).requestVolumeThreshold(6).errorThresholdPercentage(50)
        .build());
    for (int i = 0; i < 4; i++) {
      runtime.execute("orders.place", () -> "ok");
    }
    for (int i = 0; i < 4; i++) {
      runtime.execute("orders.place", () -> {
        Thread.sleep(3);
        throw new IllegalStateException("down");
      }, (kind, cause) -> "fallback");
    }
    runtime.execute("orders.place", () -> "refused", (kind, cause) -> "fallback");
    runtime.configure("users.get", CommandConfig.builder().group("Users").build());
    for (int i = 0; i < 3; i++) {
      runtime.execute("users.get", () -> "alice");
    }
  }

  @Test
  void everyCommandFigureMatchesTheSnapshot() {
    scripted();
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO)
        .maxSnapshotAge(Duration.ZERO));
    CommandSnapshot s = runtime.snapshot("orders.place");

    for (EventType type : EventType.values()) {
      double counted = command("breakwater.command.events", "orders.place")
          .tag("event", type.name().toLowerCase(Locale.ROOT)).functionCounter().count();
      assertThat(counted).as(type.name()).isEqualTo(s.cumulativeCount(type));
    }
    assertThat(s.cumulativeCount(EventType.SUCCESS)).isEqualTo(4);
    assertThat(s.cumulativeCount(EventType.SHORT_CIRCUITED)).isEqualTo(1);
    Meter.Id id = command("breakwater.command.events", "orders.place").meters().iterator()
        .next().getId();
    assertThat(id.getTag("group")).isEqualTo("Orders");
    assertThat(id.getTag("pool")).isEqualTo("Orders");

    assertThat(command("breakwater.command.circuit.state", "orders.place").tag("state", "open")
        .gauge().value()).isEqualTo(1);
    assertThat(command("breakwater.command.circuit.state", "orders.place")
        .tag("state", "closed").gauge().value()).isZero();
    assertThat(command("breakwater.command.circuit.open", "orders.place").gauge().value())
        .isEqualTo(1);
    assertThat(command("breakwater.command.circuit.open", "users.get").gauge().value()).isZero();
    assertThat(command("breakwater.command.error.percentage", "orders.place").gauge().value())
        .isEqualTo(s.health().errorPercentage()).isEqualTo(50);
    assertThat(command("breakwater.command.health.requests", "orders.place").gauge().value())
        .isEqualTo(8);
    assertThat(command("breakwater.command.health.errors", "orders.place").gauge().value())
        .isEqualTo(4);
    assertThat(command("breakwater.command.concurrency", "orders.place").gauge().value())
        .isZero();
    assertThat(command("breakwater.command.concurrency.peak", "orders.place").gauge().value())
        .isEqualTo(s.rollingMaxConcurrency());

    LatencySnapshot exec = s.executionLatency();
    double[] quantiles = {0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 1};
    String[] tags = {"0", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99", "0.995", "1"};
    for (int i = 0; i < quantiles.length; i++) {
      double seconds = command("breakwater.command.latency", "orders.place")
          .tag("kind", "execution").tag("quantile", tags[i]).timeGauge().value(TimeUnit.SECONDS);
      assertThat(seconds * 1_000_000).as("p" + tags[i]).isCloseTo(
          exec.percentileMicros(LatencySnapshot.PERCENTILES[i]),
          org.assertj.core.data.Offset.offset(0.5));
    }
    assertThat(exec.percentileMicros(100)).isGreaterThanOrEqualTo(3000);
    assertThat(command("breakwater.command.latency.mean", "orders.place").tag("kind", "total")
        .timeGauge().value(TimeUnit.MICROSECONDS)).isEqualTo(s.totalLatency().meanMicros());
  }

  @Test
  void threadPoolFiguresMatchTheSnapshot() {
    scripted();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        runtime.snapshot().threadPools().get(0).cumulativeCountThreadsExecuted() == 3);
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO)
        .maxSnapshotAge(Duration.ZERO));
    ThreadPoolSnapshot p = runtime.snapshot().threadPools().get(0);

    assertThat(registry.find("breakwater.threadpool.executions").tag("pool", "Users")
        .functionCounter().count()).isEqualTo(3);
    assertThat(registry.find("breakwater.threadpool.rejections").tag("pool", "Users")
        .functionCounter().count()).isZero();
    assertThat(registry.find("breakwater.threadpool.tasks.completed").tag("pool", "Users")
        .functionCounter().count()).isEqualTo(p.completedTaskCount());
    assertThat(registry.find("breakwater.threadpool.threads.core").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.corePoolSize());
    assertThat(registry.find("breakwater.threadpool.threads.max").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.maximumPoolSize());
    assertThat(registry.find("breakwater.threadpool.threads.current").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.poolSize());
    assertThat(registry.find("breakwater.threadpool.threads.largest").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.largestPoolSize());
    assertThat(registry.find("breakwater.threadpool.threads.active").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.activeCount());
    assertThat(registry.find("breakwater.threadpool.threads.active.peak").tag("pool", "Users")
        .gauge().value()).isEqualTo(p.rollingMaxActiveThreads());
    assertThat(registry.find("breakwater.threadpool.queue.size").tag("pool", "Users")
        .gauge().value()).isZero();
    assertThat(registry.find("breakwater.threadpool.queue.rejection.threshold")
        .tag("pool", "Users").gauge().value()).isEqualTo(5);
  }

  @Test
  void newCommandsAppearByThemselves() {
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ofMillis(50)));
    assertThat(command("breakwater.command.concurrency", "late.comer").gauge()).isNull();

    runtime.execute("late.comer", () -> "hello");

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        command("breakwater.command.events", "late.comer").tag("event", "success")
            .functionCounter() != null);
  }

  @Test
  void goneCommandsDisappearAndCloseRemovesEverything() {
    BreakwaterRuntime other = BreakwaterRuntime.create();
    try {
      other.execute("short.lived", () -> "x");
      BreakwaterMetrics m = BreakwaterMetrics.builder(other).refreshInterval(Duration.ZERO)
          .build();
      m.bindTo(registry);
      assertThat(command("breakwater.command.events", "short.lived").meters()).isNotEmpty();

      other.close(); // a closed runtime reports no commands, as if all were evicted
      m.refresh();
      assertThat(command("breakwater.command.events", "short.lived").meters()).isEmpty();
      m.close();
    } finally {
      other.close();
    }
    scripted();
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO));
    assertThat(registry.getMeters()).isNotEmpty();
    metrics.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void aChangedGroupRebindsTheCommandsMetersWithTheNewTags() {
    runtime.configure("moving", CommandConfig.builder().group("Before").build());
    runtime.snapshot("moving");
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO));
    runtime.configure("moving", CommandConfig.builder().group("After").build());
    metrics.refresh();
    assertThat(command("breakwater.command.concurrency", "moving").tag("group", "After")
        .gauge()).isNotNull();
    assertThat(command("breakwater.command.concurrency", "moving").tag("group", "Before")
        .gauge()).isNull();
  }

  @Test
  void prometheusTextNamesFollowConventions() {
    scripted();
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO).build();
    metrics.bindTo(prometheus);
    String text = prometheus.scrape();
    assertThat(text).contains("breakwater_command_events_total{command=\"orders.place\","
        + "event=\"success\",group=\"Orders\",pool=\"Orders\"} 4.0");
    assertThat(text).contains("breakwater_command_latency_seconds{");
    assertThat(text).contains("breakwater_threadpool_executions_total{pool=\"Users\"} 3.0");
    assertThat(text).contains("breakwater_command_circuit_state{command=\"orders.place\","
        + "group=\"Orders\",pool=\"Orders\",state=\"open\"} 1.0");
  }

  @Test
  void builderAndBindRefuseBadInput() {
    assertThatThrownBy(() -> BreakwaterMetrics.builder(runtime)
        .refreshInterval(Duration.ofMillis(1))).hasMessageContaining("refreshInterval");
    assertThatThrownBy(() -> BreakwaterMetrics.builder(runtime)
        .maxSnapshotAge(Duration.ofMillis(-1))).hasMessageContaining("maxSnapshotAge");
    BreakwaterMetrics m = BreakwaterMetrics.of(runtime);
    m.close();
    MeterRegistry r = new SimpleMeterRegistry();
    assertThatThrownBy(() -> m.bindTo(r)).isInstanceOf(IllegalStateException.class);
  }
}
