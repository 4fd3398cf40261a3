package io.breakwater.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CollapserSnapshot;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Meter values equal the runtime's snapshot and follow what comes and goes in the runtime. */
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
    io.micrometer.core.instrument.FunctionTimer timer =
        command("breakwater.command.duration", "orders.place").tag("kind", "execution")
            .functionTimer();
    assertThat(timer.count()).isEqualTo(s.executionTotals().count()).isPositive();
    assertThat(timer.totalTime(TimeUnit.MICROSECONDS))
        .isEqualTo(s.executionTotals().totalMicros());
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
    // A pool counts an execution after the task has answered its caller, so the third may
    // still be uncounted when execute() returns.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        runtime.snapshot().threadPools().get(0).cumulativeCountThreadsExecuted() == 3);
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

  private Search collapser(String meter) {
    return registry.find(meter).tag("collapser", "Square");
  }

  /**
   * Runs {@code args} through {@link Square} in one request, each batch dispatched as soon as it
   * holds {@code batchSize} requests so that no test waits on the batching window.
   */
  private static void batch(BreakwaterRuntime rt, int batchSize, int... args) throws Exception {
    CollapserConfig config = CollapserConfig.builder().maxRequestsInBatch(batchSize)
        .timerDelayMillis(10_000).build();
    try (RequestContext ctx = RequestContext.open()) {
      List<CompletableFuture<Integer>> answers = new ArrayList<>();
      for (int n : args) {
        answers.add(new Square(rt, n, config).toCompletableFuture());
      }
      for (int i = 0; i < args.length; i++) {
        assertThat(answers.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(args[i] * args[i]);
      }
    }
  }

  @Test
  void everyCollapserFigureMatchesTheSnapshotAfterRealBatches() throws Exception {
    bind(BreakwaterMetrics.builder(runtime).refreshInterval(Duration.ZERO)
        .maxSnapshotAge(Duration.ZERO));
    assertThat(collapser("breakwater.collapser.batches").meters()).isEmpty();
    // The second 7 is answered from the request cache and joins no batch.
    batch(runtime, 5, 1, 2, 3, 4, 7, 7);
    batch(runtime, 3, 1, 2, 3);
    metrics.refresh();
    CollapserSnapshot s = runtime.snapshot().collapsers().get(0);

    assertThat(s.cumulativeCountRequestsBatched()).isEqualTo(8);
    assertThat(collapser("breakwater.collapser.requests.batched").functionCounter().count())
        .isEqualTo(s.cumulativeCountRequestsBatched());
    assertThat(s.cumulativeCountBatches()).isEqualTo(2);
    assertThat(collapser("breakwater.collapser.batches").functionCounter().count())
        .isEqualTo(s.cumulativeCountBatches());
    assertThat(s.rollingCountResponsesFromCache()).isEqualTo(1);
    assertThat(collapser("breakwater.collapser.responses.from.cache").gauge().value())
        .isEqualTo(s.rollingCountResponsesFromCache());

    String[] tags = {"0", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99", "0.995", "1"};
    for (int i = 0; i < tags.length; i++) {
      assertThat(collapser("breakwater.collapser.batch.size").tag("quantile", tags[i]).gauge()
          .value()).as("p" + tags[i])
          .isEqualTo(s.batchSizePercentile(LatencySnapshot.PERCENTILES[i]));
    }
    assertThat(s.batchSizePercentile(0)).isEqualTo(3);
    assertThat(s.batchSizePercentile(100)).isEqualTo(5);
    assertThat(s.batchSizeMean()).isEqualTo(4);
    assertThat(collapser("breakwater.collapser.batch.size.mean").gauge().value())
        .isEqualTo(s.batchSizeMean());

    assertThat(collapser("breakwater.collapser.batches").functionCounter().getId().getTags())
        .containsExactly(Tag.of("collapser", "Square"));

    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics.bindTo(prometheus);
    assertThat(prometheus.scrape()).contains(
        "breakwater_collapser_requests_batched_total{collapser=\"Square\"} 8.0",
        "breakwater_collapser_batches_total{collapser=\"Square\"} 2.0",
        "breakwater_collapser_responses_from_cache{collapser=\"Square\"} 1.0",
        "breakwater_collapser_batch_size{collapser=\"Square\",quantile=\"1\"} 5.0",
        "breakwater_collapser_batch_size_mean{collapser=\"Square\"} 4.0");
  }

  @Test
  void anEvictedCollapserLosesItsMetersAndARecreatedOneGetsFreshOnes() throws Exception {
    FakeClock clock = new FakeClock();
    BreakwaterRuntime idle = BreakwaterRuntime.builder().clock(clock)
        .idleEviction(Duration.ofMinutes(1)).build();
    try {
      metrics = BreakwaterMetrics.builder(idle).refreshInterval(Duration.ZERO).build();
      metrics.bindTo(registry);
      assertThat(collapser("breakwater.collapser.batches").meters()).isEmpty();

      batch(idle, 2, 1, 2);
      metrics.refresh();
      assertThat(collapser("breakwater.collapser.batches").functionCounter().count())
          .isEqualTo(1);
      assertThat(collapser("breakwater.collapser.requests.batched").functionCounter().count())
          .isEqualTo(2);

      idle.evictIdle(); // the first sweep only notes that the collapser's counts stand still
      clock.advance(Duration.ofMinutes(2));
      idle.evictIdle();
      assertThat(idle.snapshot().collapsers()).isEmpty();
      metrics.refresh();
      assertThat(registry.getMeters())
          .noneMatch(m -> m.getId().getName().startsWith("breakwater.collapser"))
          .noneMatch(m -> m.getId().getTag("collapser") != null);

      batch(idle, 3, 4, 5, 6);
      metrics.refresh();
      assertThat(collapser("breakwater.collapser.batches").functionCounter().count())
          .isEqualTo(1);
      assertThat(collapser("breakwater.collapser.requests.batched").functionCounter().count())
          .isEqualTo(3);
      assertThat(collapser("breakwater.collapser.batch.size.mean").gauge().value())
          .isEqualTo(3);
    } finally {
      idle.close();
    }
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
