package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid configurations, two tables: what code gives a builder (refused at once, naming the
 * field and the value) and what a property source says (refused with a WARN naming the key and
 * the value; the previous value stays).
 */
class InvalidConfigurationTest {

  private BreakwaterRuntime runtime;
  private LogCapture log;

  @BeforeEach
  void setUp() {
    runtime = BreakwaterRuntime.create();
    log = new LogCapture();
  }

  @AfterEach
  void tearDown() {
    log.close();
    runtime.close();
  }

  // ---------------------------------------------------------------------------------------
  // In code
  // ---------------------------------------------------------------------------------------

  static Stream<Arguments> builderCases() {
    return Stream.of(
        refused("zero timeout", b -> CommandConfig.builder().timeoutMillis(0),
            "timeoutMillis", "was 0"),
        refused("negative timeout", b -> CommandConfig.builder().timeoutMillis(-5),
            "timeoutMillis", "was -5"),
        refused("zero timeout duration", b -> CommandConfig.builder().timeout(Duration.ZERO),
            "timeout", "was PT0S"),
        refused("zero semaphore", b -> CommandConfig.builder().maxConcurrentRequests(0),
            "maxConcurrentRequests", "was 0"),
        refused("negative fallback semaphore",
            b -> CommandConfig.builder().fallbackMaxConcurrentRequests(-1),
            "fallbackMaxConcurrentRequests", "was -1"),
        refused("negative volume", b -> CommandConfig.builder().requestVolumeThreshold(-1),
            "requestVolumeThreshold", "was -1"),
        refused("zero sleep window", b -> CommandConfig.builder().sleepWindowMillis(0),
            "sleepWindowMillis", "was 0"),
        refused("threshold above 100", b -> CommandConfig.builder().errorThresholdPercentage(101),
            "errorThresholdPercentage", "was 101"),
        refused("threshold below 0", b -> CommandConfig.builder().errorThresholdPercentage(-1),
            "errorThresholdPercentage", "was -1"),
        refused("zero stats window", b -> CommandConfig.builder().rollingStatsWindowMillis(0),
            "rollingStatsWindowMillis", "was 0"),
        refused("zero stats buckets", b -> CommandConfig.builder().rollingStatsBuckets(0),
            "rollingStatsBuckets", "was 0"),
        refused("stats buckets not dividing the window",
            b -> CommandConfig.builder().rollingStatsBuckets(7).build(),
            "rollingStatsBuckets (7)", "rollingStatsWindowMillis (10000)"),
        refused("negative percentile window",
            b -> CommandConfig.builder().rollingPercentileWindowMillis(-1),
            "rollingPercentileWindowMillis", "was -1"),
        refused("percentile buckets not dividing the window",
            b -> CommandConfig.builder().rollingPercentileBuckets(7).build(),
            "rollingPercentileBuckets (7)", "rollingPercentileWindowMillis (60000)"),
        refused("zero health interval",
            b -> CommandConfig.builder().healthSnapshotIntervalMillis(0),
            "healthSnapshotIntervalMillis", "was 0"),
        refused("blank group", b -> CommandConfig.builder().group(" "), "group", "was ' '"),
        refused("empty pool key", b -> CommandConfig.builder().threadPoolKey(""),
            "threadPoolKey", "was ''"),
        refused("zero core size", b -> ThreadPoolConfig.builder().coreSize(0),
            "coreSize", "was 0"),
        refused("negative core size", b -> ThreadPoolConfig.builder().coreSize(-1),
            "coreSize", "was -1"),
        refused("zero maximum size", b -> ThreadPoolConfig.builder().maximumSize(0),
            "maximumSize", "was 0"),
        refused("negative keep-alive", b -> ThreadPoolConfig.builder().keepAliveMinutes(-1),
            "keepAliveMinutes", "was -1"),
        refused("zero queue", b -> ThreadPoolConfig.builder().maxQueueSize(0),
            "maxQueueSize", "was 0"),
        refused("queue below -1", b -> ThreadPoolConfig.builder().maxQueueSize(-2),
            "maxQueueSize", "was -2"),
        refused("negative queue threshold",
            b -> ThreadPoolConfig.builder().queueSizeRejectionThreshold(-1),
            "queueSizeRejectionThreshold", "was -1"),
        refused("maximum below core", b -> ThreadPoolConfig.builder()
                .allowMaximumSizeToDivergeFromCoreSize(true).maximumSize(5).build(),
            "maximumSize (5)", "coreSize (10)"),
        refused("pool buckets not dividing the window",
            b -> ThreadPoolConfig.builder().rollingStatsBuckets(3).build(),
            "rollingStatsBuckets (3)", "rollingStatsWindowMillis (10000)"),
        refused("zero batch", b -> CollapserConfig.builder().maxRequestsInBatch(0),
            "maxRequestsInBatch", "was 0"),
        refused("zero collapser delay", b -> CollapserConfig.builder().timerDelayMillis(0),
            "timerDelayMillis", "was 0"),
        refused("collapser buckets not dividing the window",
            b -> CollapserConfig.builder().rollingStatsBuckets(7).build(),
            "rollingStatsBuckets (7)", "rollingStatsWindowMillis (10000)"),
        refused("zero collapser percentile window",
            b -> CollapserConfig.builder().rollingPercentileWindowMillis(0),
            "rollingPercentileWindowMillis", "was 0"),
        refused("zero stream connections",
            b -> StreamSettings.builder().maxConcurrentConnections(0),
            "maxConcurrentConnections", "was 0"),
        refused("negative stream interval",
            b -> StreamSettings.builder().dashboardIntervalMillis(-1),
            "dashboardIntervalMillis", "was -1"),
        refused("zero config stream interval",
            b -> StreamSettings.builder().configIntervalMillis(0),
            "configIntervalMillis", "was 0"),
        refused("code config with a zero timeout",
            b -> b.codeConfig("X", c -> c.timeoutMillis(0)), "timeoutMillis", "was 0"),
        refused("code config for the default level",
            b -> b.codeConfig("default", c -> c.timeoutMillis(10)), "command name", "'default'"),
        refused("code config for a blank name",
            b -> b.codeConfig(" ", CommandConfig.defaults()), "command name", "was ' '"),
        refused("code pool config with maximum below core",
            b -> b.codeThreadPoolConfig("P",
                c -> c.allowMaximumSizeToDivergeFromCoreSize(true).maximumSize(2)),
            "maximumSize (2)", "coreSize (10)"),
        refused("code collapser settings with a negative delay",
            b -> b.codeCollapserConfig("B", c -> c.timerDelayMillis(-1)),
            "timerDelayMillis", "was -1"),
        refused("blank source key", b -> MapSource.create().set(" ", "1"), "key", "was ' '"));
  }

  private static Arguments refused(String description, Consumer<ConfigurationBinder> attempt,
      String field, String value) {
    return arguments(description, attempt, field, value);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("builderCases")
  void codeIsRefusedWithTheFieldAndTheValue(String description,
      Consumer<ConfigurationBinder> attempt, String field, String value) {
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, MapSource.create())) {
      CommandConfig before = runtime.config("X");

      assertThatThrownBy(() -> attempt.accept(binder))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(field)
          .hasMessageContaining(value);
      assertThat(runtime.config("X")).isEqualTo(before);
    }
  }

  @Test
  void thereAreAtLeastThirtyCasesInEachTable() {
    assertThat(builderCases().count()).isGreaterThanOrEqualTo(30);
    assertThat(propertyCases().count()).isGreaterThanOrEqualTo(30);
  }

  // ---------------------------------------------------------------------------------------
  // From property sources
  // ---------------------------------------------------------------------------------------

  private static final String CMD = "hystrix.command.X.";
  private static final String POOL = "hystrix.threadpool.P.";
  private static final String BATCH = "hystrix.collapser.B.";

  private static Function<ConfigurationBinder, Object> command(Function<CommandConfig, ?> get) {
    return b -> get.apply(b.runtime().config("X"));
  }

  private static Function<ConfigurationBinder, Object> pool(Function<ThreadPoolConfig, ?> get) {
    return b -> get.apply(b.runtime().threadPoolConfig("P"));
  }

  private static Function<ConfigurationBinder, Object> batch(Function<CollapserConfig, ?> get) {
    return b -> get.apply(b.collapserConfig("B"));
  }

  private static Function<ConfigurationBinder, Object> stream(Function<StreamSettings, ?> get) {
    return b -> get.apply(b.streamSettings());
  }

  static Stream<Arguments> propertyCases() {
    String timeout = CMD + "execution.isolation.thread.timeoutInMilliseconds";
    String threshold = CMD + "circuitBreaker.errorThresholdPercentage";
    Function<ConfigurationBinder, Object> timeoutOf = command(CommandConfig::timeoutMillis);
    Function<ConfigurationBinder, Object> thresholdOf =
        command(CommandConfig::errorThresholdPercentage);
    Map<String, String> divergent = Map.of(POOL + "allowMaximumSizeToDivergeFromCoreSize", "true");
    return Stream.of(
        property(timeout, "300", "abc", timeoutOf, 300, 1000),
        property(timeout, "300", "0", timeoutOf, 300, 1000),
        property(timeout, "300", "-100", timeoutOf, 300, 1000),
        property(timeout, "300", "1.5", timeoutOf, 300, 1000),
        property(timeout, "300", "99999999999", timeoutOf, 300, 1000),
        property(timeout, "300", "", timeoutOf, 300, 1000),
        property("breakwater.command.X.timeoutMillis", "300", "1s", timeoutOf, 300, 1000),
        property(CMD + "execution.isolation.strategy", "SEMAPHORE", "FIBER",
            command(CommandConfig::isolation), Isolation.SEMAPHORE, Isolation.THREAD),
        property(CMD + "execution.isolation.strategy", "semaphore", "",
            command(CommandConfig::isolation), Isolation.SEMAPHORE, Isolation.THREAD),
        property(CMD + "execution.timeout.enabled", "false", "yes",
            command(CommandConfig::timeoutEnabled), false, true),
        property(CMD + "execution.isolation.thread.interruptOnTimeout", "false", "1",
            command(CommandConfig::interruptOnTimeout), false, true),
        property(CMD + "execution.isolation.semaphore.maxConcurrentRequests", "20", "0",
            command(CommandConfig::maxConcurrentRequests), 20, 10),
        property(CMD + "fallback.isolation.semaphore.maxConcurrentRequests", "20", "-1",
            command(CommandConfig::fallbackMaxConcurrentRequests), 20, 10),
        property(CMD + "fallback.enabled", "false", "nope",
            command(CommandConfig::fallbackEnabled), false, true),
        property(CMD + "circuitBreaker.enabled", "false", "off",
            command(CommandConfig::circuitBreakerEnabled), false, true),
        property(CMD + "circuitBreaker.requestVolumeThreshold", "5", "-1",
            command(CommandConfig::requestVolumeThreshold), 5, 20),
        property(CMD + "circuitBreaker.sleepWindowInMilliseconds", "100", "0",
            command(CommandConfig::sleepWindowMillis), 100, 5000),
        property(threshold, "30", "101", thresholdOf, 30, 50),
        property(threshold, "30", "-1", thresholdOf, 30, 50),
        property(threshold, "30", "fifty", thresholdOf, 30, 50),
        property(CMD + "circuitBreaker.forceOpen", "true", "TRUE!",
            command(CommandConfig::forceOpen), true, false),
        property(CMD + "metrics.rollingStats.numBuckets", "20", "0",
            command(CommandConfig::rollingStatsBuckets), 20, 10),
        property(CMD + "metrics.rollingStats.numBuckets", "20", "7",
            command(CommandConfig::rollingStatsBuckets), 20, 10),
        property(CMD + "metrics.rollingStats.timeInMilliseconds", "20000", "10001",
            command(CommandConfig::rollingStatsWindowMillis), 20_000, 10_000),
        property(CMD + "metrics.rollingPercentile.numBuckets", "3", "7",
            command(CommandConfig::rollingPercentileBuckets), 3, 6),
        property(CMD + "metrics.rollingPercentile.timeInMilliseconds", "30000", "-60000",
            command(CommandConfig::rollingPercentileWindowMillis), 30_000, 60_000),
        property(CMD + "metrics.healthSnapshot.intervalInMilliseconds", "250", "0",
            command(CommandConfig::healthSnapshotIntervalMillis), 250, 500),
        property(CMD + "threadPoolKeyOverride", "Other", "   ",
            command(CommandConfig::threadPoolKey), "Other", null),
        property("hystrix.command.default.circuitBreaker.errorThresholdPercentage", "30", "200",
            b -> b.runtime().config("Any").errorThresholdPercentage(), 30, 50),
        property(POOL + "coreSize", "12", "0", pool(ThreadPoolConfig::coreSize), 12, 10),
        property(POOL + "maximumSize", "20", "-3", pool(ThreadPoolConfig::maximumSize), 20, 10),
        property(divergent, POOL + "maximumSize", "20", "5",
            pool(ThreadPoolConfig::maximumSize), 20, 10),
        property(Map.of(POOL + "allowMaximumSizeToDivergeFromCoreSize", "true",
                POOL + "maximumSize", "20"), POOL + "coreSize", "12", "30",
            pool(ThreadPoolConfig::coreSize), 12, 10),
        property(POOL + "allowMaximumSizeToDivergeFromCoreSize", "true", "maybe",
            pool(ThreadPoolConfig::allowMaximumSizeToDivergeFromCoreSize), true, false),
        property(POOL + "keepAliveTimeMinutes", "3", "-1",
            pool(ThreadPoolConfig::keepAliveMinutes), 3, 1),
        property(POOL + "maxQueueSize", "50", "0", pool(ThreadPoolConfig::maxQueueSize), 50, -1),
        property(POOL + "maxQueueSize", "50", "-2", pool(ThreadPoolConfig::maxQueueSize), 50, -1),
        property(POOL + "queueSizeRejectionThreshold", "3", "-1",
            pool(ThreadPoolConfig::queueSizeRejectionThreshold), 3, 5),
        property(POOL + "metrics.rollingStats.numBuckets", "20", "3",
            pool(ThreadPoolConfig::rollingStatsBuckets), 20, 10),
        property("breakwater.threadpool.P.coreSize", "12", "many",
            pool(ThreadPoolConfig::coreSize), 12, 10),
        property(BATCH + "maxRequestsInBatch", "100", "0",
            batch(CollapserConfig::maxRequestsInBatch), 100, Integer.MAX_VALUE),
        property(BATCH + "timerDelayInMilliseconds", "20", "-10",
            batch(CollapserConfig::timerDelayMillis), 20, 10),
        property(BATCH + "requestCache.enabled", "false", "sometimes",
            batch(CollapserConfig::requestCacheEnabled), false, true),
        property("hystrix.config.stream.maxConcurrentConnections", "15", "0",
            stream(StreamSettings::maxConcurrentConnections), 15,
            StreamSettings.DEFAULT_MAX_CONCURRENT_CONNECTIONS),
        property("hystrix.stream.dashboard.intervalInMilliseconds", "1000", "soon",
            stream(StreamSettings::dashboardIntervalMillis), 1000, 500));
  }

  private static Arguments property(String key, String good, String bad,
      Function<ConfigurationBinder, Object> read, Object goodValue, Object lowerValue) {
    return property(Map.of(), key, good, bad, read, goodValue, lowerValue);
  }

  private static Arguments property(Map<String, String> setup, String key, String good,
      String bad, Function<ConfigurationBinder, Object> read, Object goodValue,
      Object lowerValue) {
    return arguments(key + "=" + bad, setup, key, good, bad, read, goodValue, lowerValue);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("propertyCases")
  void aRefusedChangeKeepsThePreviousValue(String description, Map<String, String> setup,
      String key, String good, String bad, Function<ConfigurationBinder, Object> read,
      Object goodValue, Object lowerValue) {
    Map<String, String> initial = new HashMap<>(setup);
    initial.put(key, good);
    MapSource source = MapSource.of(initial);
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(read.apply(binder)).isEqualTo(goodValue);
      assertThat(log.warnings()).isEmpty();

      source.set(key, bad);

      assertThat(read.apply(binder)).isEqualTo(goodValue);
      assertThat(log.warnings()).singleElement().asString()
          .startsWith("Refused configuration " + key + "=" + bad + " (from map source): ");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("propertyCases")
  void aRefusedNewKeyLeavesTheLevelBelowInCharge(String description, Map<String, String> setup,
      String key, String good, String bad, Function<ConfigurationBinder, Object> read,
      Object goodValue, Object lowerValue) {
    MapSource source = MapSource.of(setup);
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set(key, bad);

      assertThat(read.apply(binder)).isEqualTo(lowerValue);
      assertThat(log.warnings()).singleElement().asString()
          .startsWith("Refused configuration " + key + "=" + bad + " (from map source): ");
    }
  }

  // ---------------------------------------------------------------------------------------
  // How refusals are reported
  // ---------------------------------------------------------------------------------------

  @Test
  void theReasonNamesTheFieldAndTheValue() {
    MapSource source = MapSource.of(Map.of(CMD + "circuitBreaker.errorThresholdPercentage",
        "30"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set(CMD + "circuitBreaker.errorThresholdPercentage", "101");
      source.set(CMD + "execution.isolation.strategy", "FIBER");

      assertThat(log.warnings()).containsExactly(
          "Refused configuration hystrix.command.X.circuitBreaker.errorThresholdPercentage=101 "
              + "(from map source): errorThresholdPercentage must be between 0 and 100, was 101;"
              + " keeping 30",
          "Refused configuration hystrix.command.X.execution.isolation.strategy=FIBER "
              + "(from map source): isolation must be THREAD, SEMAPHORE or VIRTUAL, was 'FIBER';"
              + " ignoring the key, so the level below applies");
    }
  }

  @Test
  void aRefusedValueIsReportedOnceUntilItChangesOrIsFixed() {
    String key = CMD + "execution.isolation.thread.timeoutInMilliseconds";
    MapSource source = MapSource.of(Map.of(key, "300"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set(key, "abc");
      source.set(CMD + "circuitBreaker.requestVolumeThreshold", "5");
      binder.applyAll();
      assertThat(log.warnings()).hasSize(1);

      source.set(key, "xyz");
      assertThat(log.warnings()).hasSize(2);

      source.set(key, "400");
      assertThat(runtime.config("X").timeoutMillis()).isEqualTo(400);
      source.set(key, "xyz");
      assertThat(log.warnings()).hasSize(3).last().asString().contains("keeping 400");
      assertThat(runtime.config("X").timeoutMillis()).isEqualTo(400);
      assertThat(runtime.config("X").requestVolumeThreshold()).isEqualTo(5);
    }
  }

  @Test
  void aRemovedKeyForgetsItsLastGoodValue() {
    String key = CMD + "execution.isolation.thread.timeoutInMilliseconds";
    MapSource source = MapSource.of(Map.of(key, "300"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.remove(key);
      source.set(key, "abc");

      assertThat(runtime.config("X").timeoutMillis()).isEqualTo(1000);
      assertThat(log.warnings()).singleElement().asString().contains("ignoring the key");
    }
  }

  @Test
  void anInvalidOurNameFallsBackToItsLastGoodValueNotToTheHystrixName() {
    MapSource source = MapSource.of(Map.of(
        CMD + "execution.isolation.thread.timeoutInMilliseconds", "300",
        "breakwater.command.X.timeoutMillis", "500"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      source.set("breakwater.command.X.timeoutMillis", "-1");

      assertThat(runtime.config("X").timeoutMillis()).isEqualTo(500);
    }
  }

  @Test
  void anInvalidNameThatNeverWorkedLeavesTheOtherNameOfItsLevelInCharge() {
    MapSource source = MapSource.of(Map.of(
        CMD + "execution.isolation.thread.timeoutInMilliseconds", "300",
        "breakwater.command.X.timeoutMillis", "-1"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.config("X").timeoutMillis()).isEqualTo(300);
      assertThat(log.warnings()).singleElement().asString()
          .contains("breakwater.command.X.timeoutMillis=-1");
    }
  }

  @Test
  void aValueInheritedFromTheDefaultLevelThatBreaksCodeConfigIsRefusedForThatCommandOnly() {
    MapSource source = MapSource.create();
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      binder.codeConfig("X", c -> c.rollingStatsBuckets(8));

      source.set("hystrix.command.default.metrics.rollingStats.timeInMilliseconds", "12500");

      assertThat(runtime.config("Y").rollingStatsWindowMillis()).isEqualTo(12_500);
      assertThat(runtime.config("X").rollingStatsWindowMillis()).isEqualTo(10_000);
      assertThat(runtime.config("X").rollingStatsBuckets()).isEqualTo(8);
      assertThat(log.warnings()).singleElement().asString()
          .contains("rollingStatsWindowMillis=12500 inherited by command 'X'")
          .contains("rollingStatsBuckets (8) must divide rollingStatsWindowMillis (12500)");
    }
  }

  @Test
  void aBucketSizeHasNoEffectButABadOneIsStillReported() {
    MapSource source = MapSource.of(Map.of(
        CMD + "metrics.rollingPercentile.bucketSize", "0",
        "hystrix.timer.threadpool.default.coreSize", "-4"));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, source)) {
      assertThat(runtime.config("X")).isEqualTo(CommandConfig.defaults());
      assertThat(binder.streamSettings()).isEqualTo(StreamSettings.defaults());
      assertThat(log.warnings()).hasSize(2);
      assertThat(String.join("\n", log.warnings()))
          .contains("metrics.rollingPercentile.bucketSize=0")
          .contains("hystrix.timer.threadpool.default.coreSize=-4");
    }
  }
}
