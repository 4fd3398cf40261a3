package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real Hystrix-style {@code .properties} file with every key of Hystrix 1.5 (and the same
 * file with Breakwater's names) configures every command, pool, collapser and stream value.
 */
class HystrixPropertiesFileTest {

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

  @ParameterizedTest
  @ValueSource(strings = {"config/hystrix-all.properties", "config/breakwater-all.properties"})
  void everyKeyOfTheFileArrives(String resource) throws Exception {
    PropertiesFileSource file = PropertiesFileSource.open(resourcePath(resource));
    try (ConfigurationBinder binder = ConfigurationBinder.bind(runtime, file)) {

      CommandConfig other = runtime.config("AnyOtherCommand");
      assertThat(other.isolation()).isEqualTo(Isolation.SEMAPHORE);
      assertThat(other.timeoutMillis()).isEqualTo(2000);
      assertThat(other.timeoutEnabled()).isFalse();
      assertThat(other.interruptOnTimeout()).isFalse();
      assertThat(other.interruptOnFutureCancel()).isTrue();
      assertThat(other.maxConcurrentRequests()).isEqualTo(20);
      assertThat(other.fallbackMaxConcurrentRequests()).isEqualTo(30);
      assertThat(other.fallbackEnabled()).isFalse();
      assertThat(other.circuitBreakerEnabled()).isFalse();
      assertThat(other.requestVolumeThreshold()).isEqualTo(40);
      assertThat(other.sleepWindowMillis()).isEqualTo(6000);
      assertThat(other.errorThresholdPercentage()).isEqualTo(60);
      assertThat(other.forceOpen()).isTrue();
      assertThat(other.forceClosed()).isTrue();
      assertThat(other.rollingStatsWindowMillis()).isEqualTo(20_000);
      assertThat(other.rollingStatsBuckets()).isEqualTo(20);
      assertThat(other.rollingPercentileEnabled()).isFalse();
      assertThat(other.rollingPercentileWindowMillis()).isEqualTo(30_000);
      assertThat(other.rollingPercentileBuckets()).isEqualTo(3);
      assertThat(other.healthSnapshotIntervalMillis()).isEqualTo(250);
      assertThat(other.requestCacheEnabled()).isFalse();
      assertThat(other.requestLogEnabled()).isFalse();
      assertThat(other.threadPoolKey()).isNull();

      CommandConfig user = runtime.config("GetUser");
      assertThat(user.isolation()).isEqualTo(Isolation.THREAD);
      assertThat(user.timeoutMillis()).isEqualTo(750);
      assertThat(user.timeoutEnabled()).isTrue();
      assertThat(user.interruptOnTimeout()).isTrue();
      assertThat(user.interruptOnFutureCancel()).isFalse();
      assertThat(user.maxConcurrentRequests()).isEqualTo(25);
      assertThat(user.fallbackMaxConcurrentRequests()).isEqualTo(35);
      assertThat(user.fallbackEnabled()).isTrue();
      assertThat(user.circuitBreakerEnabled()).isTrue();
      assertThat(user.requestVolumeThreshold()).isEqualTo(45);
      assertThat(user.sleepWindowMillis()).isEqualTo(7000);
      assertThat(user.errorThresholdPercentage()).isEqualTo(65);
      assertThat(user.forceOpen()).isFalse();
      assertThat(user.forceClosed()).isFalse();
      assertThat(user.rollingStatsWindowMillis()).isEqualTo(30_000);
      assertThat(user.rollingStatsBuckets()).isEqualTo(15);
      assertThat(user.rollingPercentileEnabled()).isTrue();
      assertThat(user.rollingPercentileWindowMillis()).isEqualTo(40_000);
      assertThat(user.rollingPercentileBuckets()).isEqualTo(4);
      assertThat(user.healthSnapshotIntervalMillis()).isEqualTo(200);
      assertThat(user.requestCacheEnabled()).isTrue();
      assertThat(user.requestLogEnabled()).isTrue();
      assertThat(user.threadPoolKey()).isEqualTo("UserPool");

      ThreadPoolConfig otherPool = runtime.threadPoolConfig("AnyOtherPool");
      assertThat(otherPool.coreSize()).isEqualTo(12);
      assertThat(otherPool.maximumSize()).isEqualTo(24);
      assertThat(otherPool.allowMaximumSizeToDivergeFromCoreSize()).isTrue();
      assertThat(otherPool.keepAliveMinutes()).isEqualTo(3);
      assertThat(otherPool.maxQueueSize()).isEqualTo(50);
      assertThat(otherPool.queueSizeRejectionThreshold()).isEqualTo(40);
      assertThat(otherPool.rollingStatsWindowMillis()).isEqualTo(20_000);
      assertThat(otherPool.rollingStatsBuckets()).isEqualTo(20);

      ThreadPoolConfig userPool = runtime.threadPoolConfig("UserPool");
      assertThat(userPool.coreSize()).isEqualTo(6);
      assertThat(userPool.maximumSize()).isEqualTo(8);
      assertThat(userPool.allowMaximumSizeToDivergeFromCoreSize()).isFalse();
      assertThat(userPool.keepAliveMinutes()).isEqualTo(4);
      assertThat(userPool.maxQueueSize()).isEqualTo(100);
      assertThat(userPool.queueSizeRejectionThreshold()).isEqualTo(90);
      assertThat(userPool.rollingStatsWindowMillis()).isEqualTo(30_000);
      assertThat(userPool.rollingStatsBuckets()).isEqualTo(30);

      CollapserConfig otherBatch = binder.collapserConfig("AnyOtherCollapser");
      assertThat(otherBatch.maxRequestsInBatch()).isEqualTo(100);
      assertThat(otherBatch.timerDelayMillis()).isEqualTo(20);
      assertThat(otherBatch.requestCacheEnabled()).isFalse();
      assertThat(otherBatch.rollingStatsWindowMillis()).isEqualTo(20_000);
      assertThat(otherBatch.rollingStatsBuckets()).isEqualTo(20);
      assertThat(otherBatch.rollingPercentileEnabled()).isFalse();
      assertThat(otherBatch.rollingPercentileWindowMillis()).isEqualTo(30_000);
      assertThat(otherBatch.rollingPercentileBuckets()).isEqualTo(3);

      CollapserConfig userBatch = binder.collapserConfig("UserBatch");
      assertThat(userBatch.maxRequestsInBatch()).isEqualTo(50);
      assertThat(userBatch.timerDelayMillis()).isEqualTo(5);
      assertThat(userBatch.requestCacheEnabled()).isTrue();
      assertThat(userBatch.rollingStatsWindowMillis()).isEqualTo(30_000);
      assertThat(userBatch.rollingStatsBuckets()).isEqualTo(15);
      assertThat(userBatch.rollingPercentileEnabled()).isTrue();
      assertThat(userBatch.rollingPercentileWindowMillis()).isEqualTo(40_000);
      assertThat(userBatch.rollingPercentileBuckets()).isEqualTo(4);

      StreamSettings stream = binder.streamSettings();
      assertThat(stream.dashboardIntervalMillis()).isEqualTo(1000);
      assertThat(stream.utilizationIntervalMillis()).isEqualTo(2000);
      assertThat(stream.configIntervalMillis()).isEqualTo(10_000);
      assertThat(stream.maxConcurrentConnections()).isEqualTo(15);
    }

    // The only key not taken is the plugin one, and the binder says why.
    if (resource.startsWith("config/hystrix")) {
      assertThat(log.warnings()).singleElement().asString()
          .contains("hystrix.plugin.HystrixEventNotifier.implementation")
          .contains("com.example.LoggingEventNotifier")
          .contains("no plugins");
    } else {
      assertThat(log.warnings()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"config/hystrix-all.properties", "config/breakwater-all.properties"})
  void theCommandRunsInThePoolItsOverrideNames(String resource) throws Exception {
    try (ConfigurationBinder binder =
        ConfigurationBinder.bind(runtime, PropertiesFileSource.open(resourcePath(resource)))) {
      String answer = runtime.execute("GetUser", () -> Thread.currentThread().getName());

      assertThat(answer).startsWith("breakwater-UserPool-");
      assertThat(runtime.snapshot("GetUser").threadPoolKey()).isEqualTo("UserPool");
      assertThat(binder.sources()).hasSize(1);
    }
  }

  static Path resourcePath(String resource) throws URISyntaxException {
    return Path.of(HystrixPropertiesFileTest.class.getClassLoader().getResource(resource)
        .toURI());
  }
}
