package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hystrix's four levels, highest first: the instance's dynamic property, the instance's config
 * in code, the default level's dynamic property, the built-in default.
 */
class PrecedenceTest {

  private static final String TIMEOUT_DEFAULT =
      "hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds";
  private static final String TIMEOUT_X =
      "hystrix.command.X.execution.isolation.thread.timeoutInMilliseconds";

  private BreakwaterRuntime runtime;
  private MapSource source;
  private ConfigurationBinder binder;

  @BeforeEach
  void setUp() {
    runtime = BreakwaterRuntime.create();
    source = MapSource.create();
    binder = ConfigurationBinder.bind(runtime, source);
  }

  @AfterEach
  void tearDown() {
    binder.close();
    runtime.close();
  }

  @Test
  void eachLevelOverridesTheOneBelowAndRevealsItWhenRemoved() {
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(1000);

    source.set(TIMEOUT_DEFAULT, "2000");
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(2000);

    binder.codeConfig("X", b -> b.timeoutMillis(3000));
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(3000);

    source.set(TIMEOUT_X, "4000");
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(4000);

    source.remove(TIMEOUT_X);
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(3000);

    binder.codeConfig("X", b -> { });
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(2000);

    source.remove(TIMEOUT_DEFAULT);
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(1000);
  }

  @Test
  void instanceDynamicBeatsCodeBeatsDefaultDynamicBeatsBuiltInAllAtOnce() {
    source.setAll(Map.of(
        TIMEOUT_DEFAULT, "2000",
        "hystrix.command.default.circuitBreaker.errorThresholdPercentage", "30",
        "hystrix.command.default.circuitBreaker.requestVolumeThreshold", "7",
        TIMEOUT_X, "4000"));
    binder.codeConfig("X", b -> b.timeoutMillis(3000).errorThresholdPercentage(40));

    CommandConfig x = runtime.config("X");
    assertThat(x.timeoutMillis()).as("instance dynamic over code").isEqualTo(4000);
    assertThat(x.errorThresholdPercentage()).as("code over default dynamic").isEqualTo(40);
    assertThat(x.requestVolumeThreshold()).as("default dynamic over built-in").isEqualTo(7);
    assertThat(x.sleepWindowMillis()).as("built-in").isEqualTo(5000);
  }

  @Test
  void codeThatSetsAFieldToItsDefaultValueStillWinsOverTheDefaultLevel() {
    source.set(TIMEOUT_DEFAULT, "2000");
    binder.codeConfig("X", b -> b.timeoutMillis(1000).isolation(Isolation.THREAD));

    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(1000);
    assertThat(runtime.config("Y").timeoutMillis()).isEqualTo(2000);
  }

  @Test
  void aWholeConfigInCodeShieldsEveryFieldFromTheDefaultLevelButNotFromItsOwnProperties() {
    source.setAll(Map.of(TIMEOUT_DEFAULT, "2000",
        "hystrix.command.default.circuitBreaker.errorThresholdPercentage", "30"));
    binder.codeConfig("X", CommandConfig.builder().requestVolumeThreshold(3).build());

    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(1000);
    assertThat(runtime.config("X").errorThresholdPercentage()).isEqualTo(50);
    assertThat(runtime.config("X").requestVolumeThreshold()).isEqualTo(3);

    source.set(TIMEOUT_X, "4000");
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(4000);
  }

  @Test
  void ourNameWinsOverHystrixsNameAtTheSameLevelOfTheSameSource() {
    source.setAll(Map.of(
        TIMEOUT_X, "4000", "breakwater.command.X.timeoutMillis", "5000",
        TIMEOUT_DEFAULT, "2000", "breakwater.command.default.timeoutMillis", "2500"));

    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(5000);
    assertThat(runtime.config("Y").timeoutMillis()).isEqualTo(2500);

    source.remove("breakwater.command.X.timeoutMillis");
    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(4000);
  }

  @Test
  void anInstanceHystrixNameBeatsADefaultLevelBreakwaterName() {
    source.setAll(Map.of(TIMEOUT_X, "4000", "breakwater.command.default.timeoutMillis", "2500"));

    assertThat(runtime.config("X").timeoutMillis()).isEqualTo(4000);
  }

  @Test
  void anEarlierSourceWinsOverALaterOneWhateverNameEachUses() {
    MapSource overrides = MapSource.of("overrides", Map.of(TIMEOUT_X, "700"));
    MapSource file = MapSource.of("file", Map.of("breakwater.command.X.timeoutMillis", "900",
        "breakwater.command.X.requestVolumeThreshold", "4"));
    try (BreakwaterRuntime rt = BreakwaterRuntime.create();
        ConfigurationBinder b = ConfigurationBinder.bind(rt, overrides, file)) {
      assertThat(rt.config("X").timeoutMillis()).isEqualTo(700);
      assertThat(rt.config("X").requestVolumeThreshold()).isEqualTo(4);

      overrides.remove(TIMEOUT_X);
      assertThat(rt.config("X").timeoutMillis()).isEqualTo(900);
      assertThat(b.sources()).containsExactly(overrides, file);
    }
  }

  @Test
  void theBinderDefaultsAreTheLowestLevel() {
    try (BreakwaterRuntime rt = BreakwaterRuntime.create();
        ConfigurationBinder b = ConfigurationBinder.builder(rt).source(source)
            .commandDefaults(CommandConfig.builder().timeoutMillis(1500).build())
            .threadPoolDefaults(ThreadPoolConfig.builder().coreSize(3).build())
            .collapserDefaults(CollapserConfig.builder().timerDelayMillis(7).build())
            .streamDefaults(StreamSettings.builder().maxConcurrentConnections(9).build())
            .bind()) {
      assertThat(rt.config("Any").timeoutMillis()).isEqualTo(1500);
      assertThat(rt.threadPoolConfig("AnyPool").coreSize()).isEqualTo(3);
      assertThat(b.collapserConfig("AnyBatch").timerDelayMillis()).isEqualTo(7);
      assertThat(b.streamSettings().maxConcurrentConnections()).isEqualTo(9);

      source.set(TIMEOUT_DEFAULT, "2000");
      assertThat(rt.config("Any").timeoutMillis()).isEqualTo(2000);
    }
  }

  @Test
  void threadPoolsFollowTheSameFourLevels() {
    source.set("hystrix.threadpool.default.coreSize", "12");
    assertThat(runtime.threadPoolConfig("P").coreSize()).isEqualTo(12);

    binder.codeThreadPoolConfig("P", b -> b.coreSize(14));
    assertThat(runtime.threadPoolConfig("P").coreSize()).isEqualTo(14);

    source.set("hystrix.threadpool.P.coreSize", "16");
    assertThat(runtime.threadPoolConfig("P").coreSize()).isEqualTo(16);
    assertThat(runtime.threadPoolConfig("Q").coreSize()).isEqualTo(12);

    binder.codeThreadPoolConfig("Q", ThreadPoolConfig.builder().coreSize(2).build());
    assertThat(runtime.threadPoolConfig("Q").coreSize()).isEqualTo(2);
  }

  @Test
  void collapsersFollowTheSameFourLevels() {
    source.set("hystrix.collapser.default.maxRequestsInBatch", "100");
    assertThat(binder.collapserConfig("B").maxRequestsInBatch()).isEqualTo(100);

    binder.codeCollapserConfig("B", b -> b.maxRequestsInBatch(200).timerDelayMillis(3));
    assertThat(binder.collapserConfig("B").maxRequestsInBatch()).isEqualTo(200);

    source.set("hystrix.collapser.B.maxRequestsInBatch", "300");
    assertThat(binder.collapserConfig("B").maxRequestsInBatch()).isEqualTo(300);
    assertThat(binder.collapserConfig("B").timerDelayMillis()).isEqualTo(3);
    assertThat(binder.collapserConfig("C").maxRequestsInBatch()).isEqualTo(100);

    binder.codeCollapserConfig("C", CollapserConfig.builder().timerDelayMillis(4).build());
    assertThat(binder.collapserConfig("C").maxRequestsInBatch())
        .isEqualTo(CollapserConfig.DEFAULT_MAX_REQUESTS_IN_BATCH);
  }

  @Test
  void aDefaultLevelThreadPoolKeyOverrideIsIgnoredAsInHystrix() {
    try (LogCapture log = new LogCapture()) {
      source.set("hystrix.command.default.threadPoolKeyOverride", "Shared");

      assertThat(runtime.config("X").threadPoolKey()).isNull();
      assertThat(log.warnings()).singleElement().asString()
          .contains("hystrix.command.default.threadPoolKeyOverride=Shared")
          .contains("threadPoolKey applies to one command only");
    }
  }

  @Test
  void commandNamesWithDotsAndSlashesAreFound() {
    String grpcMethod = "example.UserService/GetUser";
    source.setAll(Map.of(
        "hystrix.command." + grpcMethod + ".execution.isolation.thread.timeoutInMilliseconds",
        "250",
        "breakwater.command." + grpcMethod + ".maxConcurrentRequests", "42"));

    assertThat(runtime.config(grpcMethod).timeoutMillis()).isEqualTo(250);
    assertThat(runtime.config(grpcMethod).maxConcurrentRequests()).isEqualTo(42);
  }
}
