package io.breakwater.micrometer;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CollapserSnapshot;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.LatencyTotals;
import io.breakwater.metrics.MetricsSnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds every command, thread pool and collapser of a {@link BreakwaterRuntime} to a Micrometer
 * registry:
 *
 * <pre>{@code
 * PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * BreakwaterMetrics metrics = BreakwaterMetrics.of(runtime);
 * metrics.bindTo(prometheus);
 * // ...
 * metrics.close();
 * }</pre>
 *
 * <p>Meters are read from the runtime's snapshots when the registry asks, never on a command's
 * path. A refresh (at {@link #bindTo}, then every {@link Builder#refreshInterval}, on one daemon
 * thread named {@code breakwater-micrometer-refresh}) registers meters for commands, pools and
 * collapsers that appeared and removes those that are gone; {@link #refresh()} does it at once.
 *
 * <p>Command meters carry the tags {@code command}, {@code group} and {@code pool}:
 *
 * <ul>
 *   <li>{@code breakwater.command.events} (counter, tag {@code event}: {@code success},
 *       {@code failure}, {@code timeout}, {@code short_circuited}, ... one per event type),
 *       every occurrence since the command was first used;
 *   <li>{@code breakwater.command.circuit.state} (gauge, tag {@code state}: {@code closed},
 *       {@code open}, {@code half_open}, {@code forced_open}, {@code forced_closed},
 *       {@code disabled}), 1 for the state the circuit is in and 0 for the others;
 *   <li>{@code breakwater.command.circuit.open} (gauge) 1 while calls are refused;
 *   <li>{@code breakwater.command.concurrency} (gauge) executions running now, and
 *       {@code breakwater.command.concurrency.peak} the most at once in the rolling window;
 *   <li>{@code breakwater.command.health.requests}, {@code breakwater.command.health.errors},
 *       {@code breakwater.command.error.percentage} (gauges) the figures the breaker judges by;
 *   <li>{@code breakwater.command.duration} (function timer, tag {@code kind}): count and sum of
 *       every latency since the command was first used, for rates and means over any range;
 *   <li>{@code breakwater.command.latency} (time gauge, tags {@code kind}: {@code execution} or
 *       {@code total}, and {@code quantile}: 0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 1) and
 *       {@code breakwater.command.latency.mean}, over the latency percentile window (60 s by
 *       default). They are gauges of the percentiles core already keeps, not a second
 *       Micrometer timer, so no command records its latency twice.
 * </ul>
 *
 * <p>Thread-pool meters carry the tag {@code pool}: {@code breakwater.threadpool.threads.active},
 * {@code .threads.active.peak}, {@code .threads.core}, {@code .threads.max},
 * {@code .threads.current}, {@code .threads.largest}, {@code .queue.size},
 * {@code .queue.rejection.threshold} (gauges), and {@code breakwater.threadpool.executions},
 * {@code .rejections}, {@code .tasks.completed} (counters).
 *
 * <p>Collapser meters carry the tag {@code collapser}:
 *
 * <ul>
 *   <li>{@code breakwater.collapser.requests.batched} and {@code breakwater.collapser.batches}
 *       (counters), requests handed to a batch and batches run since the collapser was created;
 *   <li>{@code breakwater.collapser.responses.from.cache} (gauge), answers served from the
 *       request cache in the rolling statistics window (10 s by default). A gauge because core
 *       counts these only in that window, not since the collapser was created;
 *   <li>{@code breakwater.collapser.batch.size} (gauge, tag {@code quantile} as for latency) and
 *       {@code breakwater.collapser.batch.size.mean}, requests per batch over the batch-size
 *       percentile window (60 s by default), for the same reason latency is a gauge.
 * </ul>
 */
public final class BreakwaterMetrics implements MeterBinder, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BreakwaterMetrics.class);
  private static final double[] QUANTILES = {0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 1};
  private static final String[] STATES = {"closed", "open", "half_open", "forced_open",
      "forced_closed", "disabled"};

  private final BreakwaterRuntime runtime;
  private final long maxSnapshotAgeNanos;
  private final Duration refreshInterval;
  /** Guards everything below; held while meters are added or removed, never for long. */
  private final Object lock = new Object();
  private final List<MeterRegistry> registries = new ArrayList<>();
  private final Map<String, Bound> commands = new HashMap<>();
  private final Map<String, Bound> pools = new HashMap<>();
  private final Map<String, Bound> collapsers = new HashMap<>();
  private MetricsSnapshot latest;
  private long latestAtNanos;
  private ScheduledExecutorService refresher;
  private boolean closed;

  private BreakwaterMetrics(Builder b) {
    this.runtime = b.runtime;
    this.maxSnapshotAgeNanos = b.maxSnapshotAge.toNanos();
    this.refreshInterval = b.refreshInterval;
  }

  /** A binder with the defaults: refresh every 10 s, snapshots reused for up to 1 s. */
  public static BreakwaterMetrics of(BreakwaterRuntime runtime) {
    return builder(runtime).build();
  }

  public static Builder builder(BreakwaterRuntime runtime) {
    return new Builder(runtime);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry must not be null");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("this BreakwaterMetrics is closed");
      }
      if (registries.contains(registry)) {
        return;
      }
      registries.add(registry);
      // Rebinding everything is the simple way to give the new registry the meters already
      // known; it happens once per registry.
      removeAll();
      if (refresher == null && !refreshInterval.isZero()) {
        refresher = new ScheduledThreadPoolExecutor(1, r -> {
          Thread t = new Thread(r, "breakwater-micrometer-refresh");
          t.setDaemon(true);
          return t;
        });
        long millis = refreshInterval.toMillis();
        refresher.scheduleWithFixedDelay(this::safeRefresh, millis, millis,
            TimeUnit.MILLISECONDS);
      }
    }
    refresh();
  }

  /**
   * Registers the meters of commands, pools and collapsers that appeared since the last refresh
   * and removes those of the ones that are gone.
   */
  public void refresh() {
    MetricsSnapshot snapshot = snapshot(true);
    synchronized (lock) {
      if (closed) {
        return;
      }
      reconcile(commands, snapshot.commands(), CommandSnapshot::name,
          BreakwaterMetrics::commandTags, this::bindCommand);
      reconcile(pools, snapshot.threadPools(), ThreadPoolSnapshot::name,
          p -> Tags.of("pool", p.name()), this::bindPool);
      reconcile(collapsers, snapshot.collapsers(), CollapserSnapshot::name,
          c -> Tags.of("collapser", c.name()), this::bindCollapser);
    }
  }

  /**
   * Brings {@code bound} in line with {@code now}: removes the meters of what is gone or whose
   * tags changed (a command moved to another group or pool), then binds what is new.
   */
  private static <S> void reconcile(Map<String, Bound> bound, List<S> now,
      Function<S, String> name, Function<S, Tags> tags, Function<S, Bound> bind) {
    Map<String, S> byName = new HashMap<>();
    for (S s : now) {
      byName.put(name.apply(s), s);
    }
    bound.entrySet().removeIf(e -> {
      S s = byName.get(e.getKey());
      boolean stale = s == null || !e.getValue().tags.equals(tags.apply(s));
      if (stale) {
        e.getValue().remove();
      }
      return stale;
    });
    for (S s : now) {
      bound.computeIfAbsent(name.apply(s), n -> bind.apply(s));
    }
  }

  private void safeRefresh() {
    try {
      refresh();
    } catch (RuntimeException e) {
      // The refresher must outlive a bad refresh; the next one tries again.
      log.error("could not refresh Breakwater's meters", e);
    }
  }

  private void removeAll() {
    for (Map<String, Bound> m : List.of(commands, pools, collapsers)) {
      m.values().forEach(Bound::remove);
      m.clear();
    }
  }

  /** Stops the refresher and removes every meter this binder registered. */
  @Override
  public void close() {
    ScheduledExecutorService r;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      removeAll();
      r = refresher;
      refresher = null;
    }
    if (r != null) {
      r.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------

  private MetricsSnapshot snapshot(boolean fresh) {
    synchronized (lock) {
      long now = System.nanoTime();
      if (fresh || latest == null || now - latestAtNanos > maxSnapshotAgeNanos) {
        latest = runtime.isClosed() ? new MetricsSnapshot(0, List.of(), List.of())
            : runtime.snapshot();
        latestAtNanos = now;
      }
      return latest;
    }
  }

  private CommandSnapshot command(String name) {
    for (CommandSnapshot c : snapshot(false).commands()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }

  private ThreadPoolSnapshot pool(String name) {
    for (ThreadPoolSnapshot p : snapshot(false).threadPools()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    return null;
  }

  private CollapserSnapshot collapser(String name) {
    for (CollapserSnapshot c : snapshot(false).collapsers()) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }

  private static Tags commandTags(CommandSnapshot c) {
    return Tags.of("command", c.name(), "group", c.group(), "pool", c.threadPoolKey());
  }

  private static String state(CommandSnapshot c) {
    if (c.config().forceOpen()) {
      return "forced_open";
    }
    if (c.config().forceClosed()) {
      return "forced_closed";
    }
    if (!c.config().circuitBreakerEnabled()) {
      return "disabled";
    }
    return c.circuitState().name().toLowerCase(Locale.ROOT);
  }

  private Bound bindCommand(CommandSnapshot first) {
    String name = first.name();
    Tags tags = commandTags(first);
    Bound b = new Bound(tags);
    for (MeterRegistry r : registries) {
      for (EventType type : EventType.values()) {
        b.add(r, FunctionCounter.builder("breakwater.command.events", this,
                m -> m.commandValue(name, c -> c.cumulativeCount(type)))
            .tags(tags).tag("event", type.name().toLowerCase(Locale.ROOT))
            .description("Executions of the command that ended in, or passed through, this event")
            .register(r));
      }
      for (String s : STATES) {
        b.add(r, Gauge.builder("breakwater.command.circuit.state", this,
                m -> m.commandValue(name, c -> state(c).equals(s) ? 1 : 0))
            .tags(tags).tag("state", s)
            .description("1 for the state the command's circuit is in, 0 for the others")
            .register(r));
      }
      b.add(r, commandGauge(r, name, tags, "breakwater.command.circuit.open",
          c -> c.circuitOpen() ? 1 : 0, "1 while the circuit refuses calls"));
      b.add(r, commandGauge(r, name, tags, "breakwater.command.concurrency",
          CommandSnapshot::currentConcurrency, "Executions running now"));
      b.add(r, commandGauge(r, name, tags, "breakwater.command.concurrency.peak",
          CommandSnapshot::rollingMaxConcurrency,
          "Most executions at once in the rolling statistics window"));
      b.add(r, commandGauge(r, name, tags, "breakwater.command.health.requests",
          c -> c.health().total(), "Requests the circuit breaker counts in its window"));
      b.add(r, commandGauge(r, name, tags, "breakwater.command.health.errors",
          c -> c.health().errors(), "Errors the circuit breaker counts in its window"));
      b.add(r, commandGauge(r, name, tags, "breakwater.command.error.percentage",
          c -> c.health().errorPercentage(), "Error percentage the circuit breaker judges by"));
      for (String kind : new String[] {"execution", "total"}) {
        for (int i = 0; i < QUANTILES.length; i++) {
          double p = LatencySnapshot.PERCENTILES[i];
          b.add(r, TimeGauge.builder("breakwater.command.latency", this, TimeUnit.MICROSECONDS,
                  m -> m.commandValue(name, c -> latency(c, kind).percentileMicros(p)))
              .tags(tags).tag("kind", kind).tag("quantile", quantile(QUANTILES[i]))
              .description("Latency percentile over the percentile window")
              .register(r));
        }
        b.add(r, TimeGauge.builder("breakwater.command.latency.mean", this,
                TimeUnit.MICROSECONDS, m -> m.commandValue(name,
                    c -> latency(c, kind).meanMicros()))
            .tags(tags).tag("kind", kind)
            .description("Mean latency over the percentile window")
            .register(r));
        b.add(r, FunctionTimer.builder("breakwater.command.duration", this,
                m -> (long) m.commandValue(name, c -> totals(c, kind).count()),
                m -> m.commandValue(name, c -> totals(c, kind).totalMicros()),
                TimeUnit.MICROSECONDS)
            .tags(tags).tag("kind", kind)
            .description("Every latency since the command was first used: count and sum")
            .register(r));
      }
    }
    return b;
  }

  private Meter commandGauge(MeterRegistry r, String name, Tags tags, String meter,
      ToDoubleFunction<CommandSnapshot> value, String description) {
    return Gauge.builder(meter, this, m -> m.commandValue(name, value))
        .tags(tags).description(description).register(r);
  }

  private double commandValue(String name, ToDoubleFunction<CommandSnapshot> value) {
    CommandSnapshot c = command(name);
    return c == null ? Double.NaN : value.applyAsDouble(c);
  }

  private static LatencyTotals totals(CommandSnapshot c, String kind) {
    return kind.equals("execution") ? c.executionTotals() : c.totalTotals();
  }

  private static LatencySnapshot latency(CommandSnapshot c, String kind) {
    return kind.equals("execution") ? c.executionLatency() : c.totalLatency();
  }

  private static String quantile(double q) {
    return q == 0 ? "0" : q == 1 ? "1" : Double.toString(q);
  }

  private Bound bindPool(ThreadPoolSnapshot first) {
    String name = first.name();
    Tags tags = Tags.of("pool", name);
    Bound b = new Bound(tags);
    for (MeterRegistry r : registries) {
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.active",
          ThreadPoolSnapshot::activeCount, "Threads running a task now"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.active.peak",
          ThreadPoolSnapshot::rollingMaxActiveThreads,
          "Most threads busy at once in the rolling window"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.core",
          ThreadPoolSnapshot::corePoolSize, "Core size"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.max",
          ThreadPoolSnapshot::maximumPoolSize, "Maximum size"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.current",
          ThreadPoolSnapshot::poolSize, "Threads alive now"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.threads.largest",
          ThreadPoolSnapshot::largestPoolSize, "Most threads ever alive at once"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.queue.size",
          ThreadPoolSnapshot::queueSize, "Tasks waiting in the queue"));
      b.add(r, poolGauge(r, name, "breakwater.threadpool.queue.rejection.threshold",
          p -> p.config().queueSizeRejectionThreshold(),
          "Queued tasks at which calls are refused"));
      b.add(r, poolCounter(r, name, "breakwater.threadpool.executions",
          ThreadPoolSnapshot::cumulativeCountThreadsExecuted, "Commands the pool ran"));
      b.add(r, poolCounter(r, name, "breakwater.threadpool.rejections",
          ThreadPoolSnapshot::cumulativeCountCommandRejections, "Commands the pool refused"));
      b.add(r, poolCounter(r, name, "breakwater.threadpool.tasks.completed",
          ThreadPoolSnapshot::completedTaskCount, "Tasks the executor completed"));
    }
    return b;
  }

  private Meter poolGauge(MeterRegistry r, String name, String meter,
      ToDoubleFunction<ThreadPoolSnapshot> value, String description) {
    return Gauge.builder(meter, this, m -> m.poolValue(name, value))
        .tag("pool", name).description(description).register(r);
  }

  private Meter poolCounter(MeterRegistry r, String name, String meter,
      ToDoubleFunction<ThreadPoolSnapshot> value, String description) {
    return FunctionCounter.builder(meter, this, m -> m.poolValue(name, value))
        .tag("pool", name).description(description).register(r);
  }

  private double poolValue(String name, ToDoubleFunction<ThreadPoolSnapshot> value) {
    ThreadPoolSnapshot p = pool(name);
    return p == null ? Double.NaN : value.applyAsDouble(p);
  }

  private Bound bindCollapser(CollapserSnapshot first) {
    String name = first.name();
    Tags tags = Tags.of("collapser", name);
    Bound b = new Bound(tags);
    for (MeterRegistry r : registries) {
      b.add(r, FunctionCounter.builder("breakwater.collapser.requests.batched", this,
              m -> m.collapserValue(name, CollapserSnapshot::cumulativeCountRequestsBatched))
          .tags(tags).description("Requests the collapser handed to a batch")
          .register(r));
      b.add(r, FunctionCounter.builder("breakwater.collapser.batches", this,
              m -> m.collapserValue(name, CollapserSnapshot::cumulativeCountBatches))
          .tags(tags).description("Batches the collapser ran")
          .register(r));
      b.add(r, Gauge.builder("breakwater.collapser.responses.from.cache", this,
              m -> m.collapserValue(name, CollapserSnapshot::rollingCountResponsesFromCache))
          .tags(tags)
          .description("Answers served from the request cache in the rolling statistics window")
          .register(r));
      for (int i = 0; i < QUANTILES.length; i++) {
        double p = LatencySnapshot.PERCENTILES[i];
        b.add(r, Gauge.builder("breakwater.collapser.batch.size", this,
                m -> m.collapserValue(name, c -> c.batchSizePercentile(p)))
            .tags(tags).tag("quantile", quantile(QUANTILES[i]))
            .description("Requests per batch at this quantile over the percentile window")
            .register(r));
      }
      b.add(r, Gauge.builder("breakwater.collapser.batch.size.mean", this,
              m -> m.collapserValue(name, CollapserSnapshot::batchSizeMean))
          .tags(tags).description("Mean requests per batch over the percentile window")
          .register(r));
    }
    return b;
  }

  private double collapserValue(String name, ToDoubleFunction<CollapserSnapshot> value) {
    CollapserSnapshot c = collapser(name);
    return c == null ? Double.NaN : value.applyAsDouble(c);
  }

  /**
   * The meters of one command, pool or collapser, in every registry, so they can be removed
   * together.
   */
  private static final class Bound {
    final Tags tags;
    final List<Map.Entry<MeterRegistry, Meter>> meters = new ArrayList<>();

    Bound(Tags tags) {
      this.tags = tags;
    }

    void add(MeterRegistry r, Meter m) {
      meters.add(Map.entry(r, m));
    }

    void remove() {
      for (Map.Entry<MeterRegistry, Meter> e : meters) {
        e.getKey().remove(e.getValue());
      }
    }
  }

  /** Collects the settings of a {@link BreakwaterMetrics}. Not thread-safe. */
  public static final class Builder {
    private final BreakwaterRuntime runtime;
    private Duration refreshInterval = Duration.ofSeconds(10);
    private Duration maxSnapshotAge = Duration.ofSeconds(1);

    private Builder(BreakwaterRuntime runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
    }

    /**
     * How often new and gone commands are looked for (default 10 s); zero means only when
     * {@link BreakwaterMetrics#refresh()} is called, and no thread is started.
     */
    public Builder refreshInterval(Duration interval) {
      Objects.requireNonNull(interval, "refreshInterval must not be null");
      if (interval.isNegative() || (!interval.isZero() && interval.toMillis() < 10)) {
        throw new IllegalArgumentException(
            "refreshInterval must be zero or at least 10 ms, was " + interval);
      }
      this.refreshInterval = interval;
      return this;
    }

    /**
     * How long one snapshot of the runtime answers the meters (default 1 s), so that a scrape
     * of many meters takes one snapshot, not one per meter. Zero takes one per reading.
     */
    public Builder maxSnapshotAge(Duration age) {
      Objects.requireNonNull(age, "maxSnapshotAge must not be null");
      if (age.isNegative()) {
        throw new IllegalArgumentException("maxSnapshotAge must not be negative, was " + age);
      }
      this.maxSnapshotAge = age;
      return this;
    }

    public BreakwaterMetrics build() {
      return new BreakwaterMetrics(this);
    }
  }
}
