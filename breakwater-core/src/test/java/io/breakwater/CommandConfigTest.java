package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommandConfigTest {

  @Test
  void defaultsAreHystrixs() {
    CommandConfig c = CommandConfig.defaults();
    assertThat(c.isolation()).isEqualTo(Isolation.THREAD);
    assertThat(c.timeoutMillis()).isEqualTo(1000);
    assertThat(c.timeoutEnabled()).isTrue();
    assertThat(c.interruptOnTimeout()).isTrue();
    assertThat(c.interruptOnFutureCancel()).isFalse();
    assertThat(c.maxConcurrentRequests()).isEqualTo(10);
    assertThat(c.fallbackMaxConcurrentRequests()).isEqualTo(10);
    assertThat(c.fallbackEnabled()).isTrue();
    assertThat(c.circuitBreakerEnabled()).isTrue();
    assertThat(c.requestVolumeThreshold()).isEqualTo(20);
    assertThat(c.sleepWindowMillis()).isEqualTo(5000);
    assertThat(c.errorThresholdPercentage()).isEqualTo(50);
    assertThat(c.forceOpen()).isFalse();
    assertThat(c.forceClosed()).isFalse();
    assertThat(c.rollingStatsWindowMillis()).isEqualTo(10_000);
    assertThat(c.rollingStatsBuckets()).isEqualTo(10);
    assertThat(c.rollingPercentileWindowMillis()).isEqualTo(60_000);
    assertThat(c.rollingPercentileBuckets()).isEqualTo(6);
    assertThat(c.healthSnapshotIntervalMillis()).isEqualTo(500);
    assertThat(c.requestCacheEnabled()).isTrue();
    assertThat(c.requestLogEnabled()).isTrue();

    ThreadPoolConfig p = ThreadPoolConfig.defaults();
    assertThat(p.coreSize()).isEqualTo(10);
    assertThat(p.maximumSize()).isEqualTo(10);
    assertThat(p.allowMaximumSizeToDivergeFromCoreSize()).isFalse();
    assertThat(p.keepAliveMinutes()).isEqualTo(1);
    assertThat(p.maxQueueSize()).isEqualTo(-1);
    assertThat(p.queueSizeRejectionThreshold()).isEqualTo(5);
  }

  @Test
  void toBuilderKeepsEveryValue() {
    CommandConfig c = CommandConfig.builder().group("g").threadPoolKey("p")
        .isolation(Isolation.SEMAPHORE).timeout(Duration.ofMillis(250)).timeoutEnabled(false)
        .interruptOnTimeout(false).interruptOnFutureCancel(true).maxConcurrentRequests(100)
        .fallbackMaxConcurrentRequests(7).fallbackEnabled(false).circuitBreakerEnabled(false)
        .requestVolumeThreshold(3).sleepWindow(Duration.ofSeconds(2))
        .errorThresholdPercentage(25).forceOpen(true).forceClosed(true)
        .rollingStatsWindowMillis(20_000).rollingStatsBuckets(20)
        .rollingPercentileEnabled(false).rollingPercentileWindowMillis(30_000)
        .rollingPercentileBuckets(3).healthSnapshotIntervalMillis(100)
        .requestCacheEnabled(false).requestLogEnabled(false).build();
    assertThat(c.toBuilder().build()).isEqualTo(c);
    assertThat(c.toBuilder().build().toString()).isEqualTo(c.toString());
    assertThat(c.timeoutMillis()).isEqualTo(250);
    assertThat(c.sleepWindowMillis()).isEqualTo(2000);
  }

  static Stream<Arguments> invalidValues() {
    return Stream.of(
        bad("timeoutMillis must be between 1 and 2147483647, was -5",
            b -> b.timeoutMillis(-5)),
        bad("timeoutMillis must be between 1 and 2147483647, was 0", b -> b.timeoutMillis(0)),
        bad("timeout must be positive, was PT-1S", b -> b.timeout(Duration.ofSeconds(-1))),
        bad("maxConcurrentRequests must be between 1 and 2147483647, was 0",
            b -> b.maxConcurrentRequests(0)),
        bad("fallbackMaxConcurrentRequests must be between 1 and 2147483647, was -1",
            b -> b.fallbackMaxConcurrentRequests(-1)),
        bad("errorThresholdPercentage must be between 0 and 100, was 101",
            b -> b.errorThresholdPercentage(101)),
        bad("errorThresholdPercentage must be between 0 and 100, was -1",
            b -> b.errorThresholdPercentage(-1)),
        bad("requestVolumeThreshold must be between 0 and 2147483647, was -1",
            b -> b.requestVolumeThreshold(-1)),
        bad("sleepWindowMillis must be between 1 and 2147483647, was 0",
            b -> b.sleepWindowMillis(0)),
        bad("rollingStatsBuckets (3) must divide rollingStatsWindowMillis (10000) into whole "
            + "milliseconds", b -> b.rollingStatsBuckets(3).build()),
        bad("rollingPercentileBuckets (7) must divide rollingPercentileWindowMillis (60000) into "
            + "whole milliseconds", b -> b.rollingPercentileBuckets(7).build()),
        bad("healthSnapshotIntervalMillis must be between 1 and 2147483647, was 0",
            b -> b.healthSnapshotIntervalMillis(0)),
        bad("group must not be blank, was ' '", b -> b.group(" ")));
  }

  private static Arguments bad(String message, Consumer<CommandConfig.Builder> change) {
    return Arguments.of(message, change);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidValues")
  void builderRefusesABadValueNamingFieldAndValue(
      String message, Consumer<CommandConfig.Builder> change) {
    assertThatThrownBy(() -> change.accept(CommandConfig.builder()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void virtualIsolationIsRefusedBeforeJava21AndAcceptedAfter() {
    if (Runtime.version().feature() < 21) {
      assertThatThrownBy(() -> CommandConfig.builder().isolation(Isolation.VIRTUAL))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("isolation VIRTUAL needs Java 21 or newer, this JVM is "
              + Runtime.version().feature());
    } else {
      assertThat(CommandConfig.builder().isolation(Isolation.VIRTUAL).build().isolation())
          .isEqualTo(Isolation.VIRTUAL);
    }
  }

  @Test
  void threadPoolBuilderRefusesBadSizes() {
    assertThatThrownBy(() -> ThreadPoolConfig.builder().coreSize(0))
        .hasMessage("coreSize must be between 1 and 2147483647, was 0");
    assertThatThrownBy(() -> ThreadPoolConfig.builder().maxQueueSize(0))
        .hasMessage("maxQueueSize must be -1 (no queue) or at least 1, was 0");
    assertThatThrownBy(() -> ThreadPoolConfig.builder().coreSize(10).maximumSize(5)
        .allowMaximumSizeToDivergeFromCoreSize(true).build())
        .hasMessage("maximumSize (5) must be at least coreSize (10) when "
            + "allowMaximumSizeToDivergeFromCoreSize is true");
    assertThatThrownBy(() -> ThreadPoolConfig.builder().keepAliveMinutes(-1))
        .hasMessage("keepAliveMinutes must be between 0 and 2147483647, was -1");
  }
}
