package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.FakeClock;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Changes at run time reach the next execution, and keep what the command has learned. */
class DynamicConfigurationTest {

  private static final String TIMEOUT =
      "hystrix.command.%s.execution.isolation.thread.timeoutInMilliseconds";

  @Test
  void aChangedValueReachesTheNextCallAndRollingMetricsSurviveIt() {
    FakeClock clock = new FakeClock();
    MapSource source = MapSource.of(Map.of(
        "hystrix.command.Dyn.execution.isolation.strategy", "SEMAPHORE"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.builder().clock(clock).build();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      for (int i = 0; i < 3; i++) {
        runtime.execute("Dyn", () -> "ok");
      }
      assertThatThrownBy(() -> runtime.execute("Dyn", () -> {
        throw new IllegalStateException("down");
      })).hasMessageContaining("Dyn");
      CommandSnapshot before = runtime.snapshot("Dyn");

      source.setAll(Map.of(String.format(TIMEOUT, "Dyn"), "250",
          "hystrix.command.Dyn.circuitBreaker.errorThresholdPercentage", "90",
          "hystrix.command.Dyn.execution.isolation.semaphore.maxConcurrentRequests", "3"));

      CommandSnapshot after = runtime.snapshot("Dyn");
      assertThat(runtime.config("Dyn").timeoutMillis()).isEqualTo(250);
      assertThat(after.config().errorThresholdPercentage()).isEqualTo(90);
      for (EventType type : EventType.values()) {
        assertThat(after.cumulativeCount(type)).as("cumulative %s", type)
            .isEqualTo(before.cumulativeCount(type));
        assertThat(after.rollingCount(type)).as("rolling %s", type)
            .isEqualTo(before.rollingCount(type));
      }
      assertThat(after.health()).usingRecursiveComparison().isEqualTo(before.health());

      runtime.execute("Dyn", () -> "ok");
      assertThat(runtime.snapshot("Dyn").cumulativeCount(EventType.SUCCESS)).isEqualTo(4);
      assertThat(runtime.snapshot("Dyn").rollingCount(EventType.SUCCESS)).isEqualTo(4);
      assertThat(runtime.snapshot("Dyn").rollingCount(EventType.FAILURE)).isEqualTo(1);
      assertThat(binder.sources()).containsExactly(source);
    }
  }

  @Test
  void aNewTimeoutAppliesToTheVeryNextExecution() {
    MapSource source = MapSource.of(Map.of(
        "breakwater.command.Slow.isolation", "THREAD",
        "breakwater.command.Slow.timeoutMillis", "5000"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.execute("Slow", () -> sleepThen(100, "slow answer"), (k, c) -> "late"))
          .isEqualTo("slow answer");

      source.set("breakwater.command.Slow.timeoutMillis", "20");

      assertThat(runtime.execute("Slow", () -> sleepThen(2000, "slow answer"), (k, c) -> "late"))
          .isEqualTo("late");
      assertThat(runtime.snapshot("Slow").cumulativeCount(EventType.TIMEOUT)).isEqualTo(1);
      assertThat(runtime.snapshot("Slow").cumulativeCount(EventType.SUCCESS)).isEqualTo(1);
    }
  }

  @Test
  void forcingTheCircuitOpenAtRunTimeShortCircuitsTheNextCall() {
    MapSource source = MapSource.of(Map.of("breakwater.command.default.isolation", "SEMAPHORE"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.execute("Svc", () -> "live", (k, c) -> "fallback")).isEqualTo("live");

      source.set("hystrix.command.Svc.circuitBreaker.forceOpen", "true");
      assertThat(runtime.execute("Svc", () -> "live", (k, c) -> "fallback"))
          .isEqualTo("fallback");

      source.set("hystrix.command.Svc.circuitBreaker.forceOpen", "false");
      assertThat(runtime.execute("Svc", () -> "live", (k, c) -> "fallback")).isEqualTo("live");
      assertThat(runtime.snapshot("Svc").cumulativeCount(EventType.SHORT_CIRCUITED))
          .isEqualTo(1);
    }
  }

  @Test
  void dynamicCoreSizeIncreaseDoesNotThrow_hystrix1897() throws Exception {
    MapSource source = MapSource.of(Map.of(
        "hystrix.command.Pooled.threadPoolKeyOverride", "Grow",
        "hystrix.threadpool.Grow.coreSize", "2",
        "hystrix.threadpool.Grow.maximumSize", "4",
        "hystrix.threadpool.Grow.allowMaximumSizeToDivergeFromCoreSize", "true"));
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.execute("Pooled", () -> "ok")).isEqualTo("ok");

      // Hystrix set core before max and threw when core passed the old max.
      source.setAll(Map.of("hystrix.threadpool.Grow.coreSize", "8",
          "hystrix.threadpool.Grow.maximumSize", "16"));
      assertThat(pool(runtime, "Grow").corePoolSize()).isEqualTo(8);
      assertThat(pool(runtime, "Grow").maximumPoolSize()).isEqualTo(16);

      source.setAll(Map.of("hystrix.threadpool.Grow.coreSize", "1",
          "hystrix.threadpool.Grow.maximumSize", "1"));
      assertThat(pool(runtime, "Grow").corePoolSize()).isEqualTo(1);
      assertThat(pool(runtime, "Grow").maximumPoolSize()).isEqualTo(1);

      // Not dynamic in Hystrix: the queue and the window. Breakwater replaces the executor.
      source.setAll(Map.of("hystrix.threadpool.Grow.maxQueueSize", "10",
          "hystrix.threadpool.Grow.metrics.rollingStats.timeInMilliseconds", "5000",
          "hystrix.threadpool.Grow.metrics.rollingStats.numBuckets", "5"));
      assertThat(runtime.threadPoolConfig("Grow").maxQueueSize()).isEqualTo(10);
      assertThat(runtime.threadPoolConfig("Grow").rollingStatsBuckets()).isEqualTo(5);
      assertThat(runtime.execute("Pooled", () -> "still ok")).isEqualTo("still ok");
      assertThat(log.warnings()).isEmpty();
    }
  }

  @Test
  void metricsWindowsChangeAtRunTimeAndCumulativeCountsStay() {
    MapSource source = MapSource.of(Map.of("breakwater.command.W.isolation", "SEMAPHORE"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      runtime.execute("W", () -> "ok");
      runtime.execute("W", () -> "ok");

      source.setAll(Map.of("hystrix.command.W.metrics.rollingStats.timeInMilliseconds", "20000",
          "hystrix.command.W.metrics.rollingStats.numBuckets", "20",
          "hystrix.command.W.metrics.rollingPercentile.timeInMilliseconds", "30000",
          "hystrix.command.W.metrics.rollingPercentile.numBuckets", "3"));

      assertThat(runtime.config("W").rollingStatsWindowMillis()).isEqualTo(20_000);
      assertThat(runtime.config("W").rollingPercentileBuckets()).isEqualTo(3);
      assertThat(runtime.snapshot("W").cumulativeCount(EventType.SUCCESS)).isEqualTo(2);
      runtime.execute("W", () -> "ok");
      assertThat(runtime.snapshot("W").cumulativeCount(EventType.SUCCESS)).isEqualTo(3);
    }
  }

  @Test
  void oneValidAndOneInvalidValueInOnePushTheValidOneApplies() {
    MapSource source = MapSource.create();
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.setAll(Map.of(String.format(TIMEOUT, "M"), "300",
          "hystrix.command.M.circuitBreaker.errorThresholdPercentage", "150"));

      assertThat(runtime.config("M").timeoutMillis()).isEqualTo(300);
      assertThat(runtime.config("M").errorThresholdPercentage()).isEqualTo(50);
      assertThat(log.warnings()).singleElement().asString()
          .contains("hystrix.command.M.circuitBreaker.errorThresholdPercentage=150");
    }
  }

  @Test
  void valuesThatDoNotFitTogetherKeepThePreviousOnesAndTheRestStillApplies() {
    MapSource source = MapSource.create();
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.setAll(Map.of(String.format(TIMEOUT, "C"), "300",
          "hystrix.command.C.metrics.rollingStats.timeInMilliseconds", "20000",
          "hystrix.command.C.metrics.rollingStats.numBuckets", "7"));

      CommandConfig c = runtime.config("C");
      assertThat(c.timeoutMillis()).isEqualTo(300);
      assertThat(c.rollingStatsWindowMillis()).isEqualTo(20_000);
      assertThat(c.rollingStatsBuckets()).isEqualTo(10);
      assertThat(log.warnings()).singleElement().asString()
          .contains("hystrix.command.C.metrics.rollingStats.numBuckets=7")
          .contains("rollingStatsBuckets (7) must divide rollingStatsWindowMillis (20000)")
          .contains("keeps rollingStatsBuckets=10");
    }
  }

  @Test
  void aWindowAndItsBucketsChangedTogetherApplyEvenThoughNeitherFitsTheOldOther() {
    MapSource source = MapSource.create();
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.setAll(Map.of("breakwater.command.T.rollingStatsWindowMillis", "10001",
          "breakwater.command.T.rollingStatsBuckets", "73"));

      assertThat(runtime.config("T").rollingStatsWindowMillis()).isEqualTo(10_001);
      assertThat(runtime.config("T").rollingStatsBuckets()).isEqualTo(73);
      assertThat(log.warnings()).isEmpty();
    }
  }

  @Test
  void aDefaultLevelChangeReachesEveryCommandWithoutItsOwnValue() {
    MapSource source = MapSource.of(Map.of(String.format(TIMEOUT, "Own"), "400"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      runtime.execute("Existing", () -> "ok", (k, c) -> "fallback");
      binder.codeConfig("Coded", b -> b.maxConcurrentRequests(5));

      source.set(String.format(TIMEOUT, "default"), "1500");

      assertThat(runtime.config("Existing").timeoutMillis()).isEqualTo(1500);
      assertThat(runtime.config("Coded").timeoutMillis()).isEqualTo(1500);
      assertThat(runtime.config("Coded").maxConcurrentRequests()).isEqualTo(5);
      assertThat(runtime.config("NotYetCreated").timeoutMillis()).isEqualTo(1500);
      assertThat(runtime.config("Own").timeoutMillis()).isEqualTo(400);
    }
  }

  @Test
  void withNoStreamPropertiesTheBinderGivesTheServersOwnDefaults() {
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, MapSource.create())) {
      // One default whether the server is built plain or from the binder's settings.
      assertThat(binder.streamSettings().maxConcurrentConnections()).isEqualTo(10);
      assertThat(binder.streamSettings().dashboardIntervalMillis()).isEqualTo(500);
    }
  }

  @Test
  void aPushChangingSeveralKeysIsAppliedOnceAndListenersHearOfIt() {
    MapSource source = MapSource.create();
    AtomicInteger changes = new AtomicInteger();
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      Subscription s = binder.onChange(changes::incrementAndGet);

      source.setAll(Map.of("hystrix.stream.dashboard.intervalInMilliseconds", "1000",
          "hystrix.config.stream.maxConcurrentConnections", "20"));
      assertThat(changes).hasValue(1);
      assertThat(binder.streamSettings().dashboardIntervalMillis()).isEqualTo(1000);
      assertThat(binder.streamSettings().maxConcurrentConnections()).isEqualTo(20);

      source.set("hystrix.config.stream.maxConcurrentConnections", "20");
      assertThat(changes).as("no change, no notification").hasValue(1);

      s.close();
      source.set("hystrix.config.stream.maxConcurrentConnections", "21");
      assertThat(changes).hasValue(1);
      assertThat(binder.streamSettings().maxConcurrentConnections()).isEqualTo(21);
    }
  }

  @Test
  void closingTheBinderRemovesItsListenersAndLaterChangesDoNotApply() {
    MapSource source = MapSource.of(Map.of(String.format(TIMEOUT, "K"), "300"));
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create()) {
      ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source);
      assertThat(source.listenerCount()).isEqualTo(1);

      binder.close();
      binder.close();
      source.set(String.format(TIMEOUT, "K"), "600");

      assertThat(source.listenerCount()).isZero();
      assertThat(runtime.config("K").timeoutMillis()).isEqualTo(300);
      assertThat(binder.commandConfig("K")).isNull();
      assertThatThrownBy(() -> binder.codeConfig("K", b -> b.timeoutMillis(5)))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
  }

  @Test
  void systemPropertiesApplyOnRefresh() {
    String key = String.format(TIMEOUT, "SysProp");
    SystemPropertiesSource source = SystemPropertiesSource.create();
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      System.setProperty(key, "333");
      assertThat(source.get(key)).contains("333");
      assertThat(source.snapshot()).containsEntry(key, "333");
      assertThat(source.refresh()).containsExactly(key);
      assertThat(runtime.config("SysProp").timeoutMillis()).isEqualTo(333);

      System.clearProperty(key);
      assertThat(source.refresh()).containsExactly(key);
      assertThat(runtime.config("SysProp").timeoutMillis()).isEqualTo(1000);
      assertThat(source.refresh()).isEmpty();
    } finally {
      System.clearProperty(key);
    }
  }

  @Test
  void aPropertiesFileAppliesOnReloadAndKeepsItsValuesWhenTheFileIsGone(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("config.properties");
    write(file, String.format(TIMEOUT, "F") + "=300\n");
    try (LogCapture log = new LogCapture();
        PropertiesFileSource source = PropertiesFileSource.open(file);
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.config("F").timeoutMillis()).isEqualTo(300);

      write(file, String.format(TIMEOUT, "F") + "=400\nhystrix.threadpool.F.coreSize=3\n");
      assertThat(source.reload()).isTrue();
      assertThat(runtime.config("F").timeoutMillis()).isEqualTo(400);
      assertThat(runtime.threadPoolConfig("F").coreSize()).isEqualTo(3);

      Files.delete(file);
      assertThat(source.reload()).isFalse();
      assertThat(runtime.config("F").timeoutMillis()).isEqualTo(400);
      assertThat(log.warnings()).singleElement().asString()
          .contains("Could not reload").contains("config.properties");
      assertThat(source.file()).isEqualTo(file);
    }
  }

  @Test
  void aPolledPropertiesFileAppliesWithoutBeingAsked(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("polled.properties");
    write(file, String.format(TIMEOUT, "P") + "=300\n");
    PropertiesFileSource source = PropertiesFileSource.open(file);
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.startPolling(Duration.ofMillis(20));
      assertThatThrownBy(() -> source.startPolling(Duration.ofMillis(20)))
          .isInstanceOf(IllegalStateException.class);

      write(file, String.format(TIMEOUT, "P") + "=500\n");

      await().atMost(Duration.ofSeconds(5))
          .until(() -> runtime.config("P").timeoutMillis() == 500);
    } finally {
      source.close();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet()
        .stream().noneMatch(t -> t.getName().equals("breakwater-config-poll-polled.properties")));
    assertThatThrownBy(() -> source.startPolling(Duration.ofMillis(20)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void aMissingFileIsReportedByName(@TempDir Path dir) {
    Path missing = dir.resolve("nope.properties");
    assertThatThrownBy(() -> PropertiesFileSource.open(missing))
        .hasMessageContaining("nope.properties");
  }

  @Test
  void aSourceThatCanOnlyAnswerLookupsIsServedThroughTheResolverAndApply() {
    PropertySource lookupOnly = new PropertySource() {
      @Override
      public String name() {
        return "remote lookups";
      }

      @Override
      public Optional<String> get(String key) {
        return key.equals(String.format(TIMEOUT, "Lazy")) ? Optional.of("123") : Optional.empty();
      }

      @Override
      public Map<String, String> snapshot() {
        return Map.of();
      }
    };
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, lookupOnly)) {
      assertThat(runtime.config("Lazy").timeoutMillis()).isEqualTo(1000);
      assertThat(binder.commandConfig("Lazy").timeoutMillis()).isEqualTo(123);
      assertThat(binder.threadPoolConfig("LazyPool")).isEqualTo(ThreadPoolConfig.defaults());

      binder.apply("Lazy");
      binder.applyThreadPool("LazyPool");
      assertThat(runtime.config("Lazy").timeoutMillis()).isEqualTo(123);
      assertThat(runtime.threadPoolConfig("LazyPool")).isEqualTo(ThreadPoolConfig.defaults());
    }
  }

  @Test
  void aNameFirstSeenByTheResolverIsKeptUpToDateAfterwards() {
    Map<String, String> remote = new java.util.concurrent.ConcurrentHashMap<>(
        Map.of(String.format(TIMEOUT, "Late"), "100"));
    PropertySource lookupOnly = new PropertySource() {
      @Override
      public String name() {
        return "remote lookups";
      }

      @Override
      public Optional<String> get(String key) {
        return Optional.ofNullable(remote.get(key));
      }

      @Override
      public Map<String, String> snapshot() {
        return Map.of();
      }
    };
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, lookupOnly)) {
      assertThat(binder.commandConfig("Late").timeoutMillis()).isEqualTo(100);

      remote.put(String.format(TIMEOUT, "Late"), "200");
      binder.applyAll();

      assertThat(runtime.config("Late").timeoutMillis()).isEqualTo(200);
    }
  }

  @Test
  void applyAllRereadsASourceThatCannotPush() {
    Map<String, String> backing = new java.util.concurrent.ConcurrentHashMap<>();
    PropertySource silent = new PropertySource() {
      @Override
      public String name() {
        return "silent";
      }

      @Override
      public Optional<String> get(String key) {
        return Optional.ofNullable(backing.get(key));
      }

      @Override
      public Map<String, String> snapshot() {
        return Map.copyOf(backing);
      }
    };
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, silent)) {
      backing.put("breakwater.command.Quiet.timeoutMillis", "77");
      assertThat(runtime.config("Quiet").timeoutMillis()).isEqualTo(1000);

      binder.applyAll();
      assertThat(runtime.config("Quiet").timeoutMillis()).isEqualTo(77);
    }
  }

  @Test
  void unknownKeysAreReportedOnceAndOtherKeysAreLeftAlone() {
    MapSource source = MapSource.of(Map.of(
        "hystrix.command.X.execution.isolation.thread.timeoutInMillis", "300",
        "breakwater.command.X.timeout", "300",
        "hystrix.threadpool.default.corSize", "5",
        "hystrix.somethingElse", "1",
        "server.port", "8080"));
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      binder.applyAll();

      assertThat(log.warnings()).hasSize(4).allMatch(w -> w.startsWith("Ignored configuration"));
      assertThat(String.join("\n", log.warnings()))
          .contains("timeoutInMillis=300").contains("breakwater.command.X.timeout=300")
          .contains("corSize=5").contains("hystrix.somethingElse=1")
          .doesNotContain("server.port");
      assertThat(runtime.config("X")).isEqualTo(CommandConfig.defaults());
    }
  }

  @Test
  void concurrentPushesEndInTheLastValueOfEachKey() throws Exception {
    MapSource source = MapSource.create();
    int threads = 8;
    int rounds = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String name = "C" + t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 1; i <= rounds; i++) {
            source.set(String.format(TIMEOUT, name), Integer.toString(i));
            if (i % 50 == 0) {
              source.set(String.format(TIMEOUT, "default"), Integer.toString(1000 + i));
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      for (int t = 0; t < threads; t++) {
        assertThat(runtime.config("C" + t).timeoutMillis()).isEqualTo(rounds);
      }
      assertThat(runtime.config("Other").timeoutMillis()).isEqualTo(1000 + rounds);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void virtualIsolationIsAcceptedOrRefusedByTheRuntimeVersion() {
    MapSource source = MapSource.of(Map.of("breakwater.command.V.isolation", "virtual"));
    try (LogCapture log = new LogCapture();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      if (Runtime.version().feature() >= 21) {
        assertThat(runtime.config("V").isolation()).isEqualTo(Isolation.VIRTUAL);
        assertThat(log.warnings()).isEmpty();
      } else {
        assertThat(runtime.config("V").isolation()).isEqualTo(Isolation.THREAD);
        assertThat(log.warnings()).singleElement().asString()
            .contains("breakwater.command.V.isolation=virtual").contains("Java 21");
      }
    }
  }

  private static ThreadPoolSnapshot pool(BreakwaterRuntime runtime, String key) {
    return runtime.snapshot().threadPools().stream().filter(p -> p.name().equals(key))
        .findFirst().orElseThrow();
  }

  private static String sleepThen(long millis, String answer) throws InterruptedException {
    Thread.sleep(millis);
    return answer;
  }

  private static void write(Path file, String content) throws IOException {
    // Write a sibling and move it over, as deployment tools do, so a poll never reads half.
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
