package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.breakwater.BadRequestException;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.CommandException;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every key of the three Hystrix messages, with its type, and every value equal to the
 * command's real metrics after a scripted sequence of outcomes.
 */
class HystrixMessagesTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private void scriptedOutcomes() {
    runtime.configure("scripted", CommandConfig.builder()
        .group("Accounts").isolation(Isolation.SEMAPHORE).timeoutMillis(50)
        .requestVolumeThreshold(100).sleepWindowMillis(7000).errorThresholdPercentage(40)
        .maxConcurrentRequests(12).fallbackMaxConcurrentRequests(7).requestLogEnabled(false)
        .build());
    for (int i = 0; i < 5; i++) {
      runtime.execute("scripted", () -> "ok");
    }
    for (int i = 0; i < 2; i++) {
      runtime.execute("scripted", () -> {
        throw new IllegalStateException("down");
      }, (kind, cause) -> "fallback");
    }
    assertThatThrownBy(() -> runtime.execute("scripted", () -> {
      throw new IllegalStateException("down, no fallback");
    })).isInstanceOf(CommandException.class);
    assertThatThrownBy(() -> runtime.execute("scripted", () -> {
      throw new BadRequestException("your fault");
    })).isInstanceOf(BadRequestException.class);
    runtime.execute("scripted", () -> {
      Thread.sleep(2000);
      return "late";
    }, (kind, cause) -> "timed out");
  }

  @Test
  void commandMessageHasEveryHystrixKeyWithTheRightTypeAndTheRealValues() throws Exception {
    scriptedOutcomes();
    CommandSnapshot s = runtime.snapshot("scripted");
    JsonNode m = JSON.readTree(HystrixMessages.command(s));

    HystrixFormat.assertFormat(m, HystrixFormat.COMMAND);
    assertThat(m.get("type").asText()).isEqualTo("HystrixCommand");
    assertThat(m.get("name").asText()).isEqualTo("scripted");
    assertThat(m.get("group").asText()).isEqualTo("Accounts");
    assertThat(m.get("threadPool").asText()).isEqualTo("Accounts");
    assertThat(m.get("currentTime").asLong()).isEqualTo(s.timeMillis());
    assertThat(m.get("isCircuitBreakerOpen").asBoolean()).isFalse();
    // 5 successes, 3 failures, 1 timeout: health counts 9, errors 4, 44 % truncated.
    assertThat(m.get("requestCount").asLong()).isEqualTo(9).isEqualTo(s.health().total());
    assertThat(m.get("errorCount").asLong()).isEqualTo(4).isEqualTo(s.health().errors());
    assertThat(m.get("errorPercentage").asInt()).isEqualTo(44);
    assertThat(m.get("rollingCountSuccess").asLong()).isEqualTo(5);
    assertThat(m.get("rollingCountFailure").asLong()).isEqualTo(3);
    assertThat(m.get("rollingCountTimeout").asLong()).isEqualTo(1);
    assertThat(m.get("rollingCountBadRequests").asLong()).isEqualTo(1);
    assertThat(m.get("rollingCountFallbackSuccess").asLong()).isEqualTo(3);
    assertThat(m.get("rollingCountFallbackMissing").asLong()).isEqualTo(1);
    assertThat(m.get("rollingCountExceptionsThrown").asLong()).isEqualTo(2);
    for (EventType t : new EventType[] {EventType.SHORT_CIRCUITED, EventType.EMIT,
        EventType.FALLBACK_EMIT, EventType.FALLBACK_FAILURE, EventType.FALLBACK_REJECTION,
        EventType.SEMAPHORE_REJECTED, EventType.THREAD_POOL_REJECTED,
        EventType.RESPONSE_FROM_CACHE, EventType.COLLAPSED}) {
      assertThat(s.rollingCount(t)).as(t.name()).isZero();
    }
    assertThat(m.get("rollingCountShortCircuited").asLong()).isZero();
    assertThat(m.get("rollingCountSemaphoreRejected").asLong()).isZero();
    assertThat(m.get("rollingCountThreadPoolRejected").asLong()).isZero();
    assertThat(m.get("rollingCountResponsesFromCache").asLong()).isZero();
    assertThat(m.get("rollingCountCollapsedRequests").asLong()).isZero();
    assertThat(m.get("rollingCountEmit").asLong()).isZero();
    assertThat(m.get("rollingCountFallbackEmit").asLong()).isZero();
    assertThat(m.get("rollingCountFallbackFailure").asLong()).isZero();
    assertThat(m.get("rollingCountFallbackRejection").asLong()).isZero();
    assertThat(m.get("currentConcurrentExecutionCount").asInt()).isZero();
    assertThat(m.get("rollingMaxConcurrentExecutionCount").asLong())
        .isEqualTo(s.rollingMaxConcurrency()).isPositive();

    LatencySnapshot exec = s.executionLatency();
    assertThat(m.get("latencyExecute_mean").asInt()).isEqualTo(exec.meanMillis());
    assertThat(m.get("latencyTotal_mean").asInt()).isEqualTo(s.totalLatency().meanMillis());
    for (int i = 0; i < HystrixFormat.LATENCY_KEYS.size(); i++) {
      String key = HystrixFormat.LATENCY_KEYS.get(i);
      double p = LatencySnapshot.PERCENTILES[i];
      assertThat(m.get("latencyExecute").get(key).asInt()).as("p" + key)
          .isEqualTo(exec.percentileMillis(p));
      assertThat(m.get("latencyTotal").get(key).asInt()).as("total p" + key)
          .isEqualTo(s.totalLatency().percentileMillis(p));
    }
    // The timed-out run took about 50 ms, the rest next to nothing.
    assertThat(m.get("latencyExecute").get("100").asInt()).isBetween(40, 1000);
    assertThat(m.get("latencyExecute").get("0").asInt()).isLessThan(40);

    assertThat(m.get("propertyValue_circuitBreakerRequestVolumeThreshold").asInt())
        .isEqualTo(100);
    assertThat(m.get("propertyValue_circuitBreakerSleepWindowInMilliseconds").asInt())
        .isEqualTo(7000);
    assertThat(m.get("propertyValue_circuitBreakerErrorThresholdPercentage").asInt())
        .isEqualTo(40);
    assertThat(m.get("propertyValue_circuitBreakerForceOpen").asBoolean()).isFalse();
    assertThat(m.get("propertyValue_circuitBreakerForceClosed").asBoolean()).isFalse();
    assertThat(m.get("propertyValue_circuitBreakerEnabled").asBoolean()).isTrue();
    assertThat(m.get("propertyValue_executionIsolationStrategy").asText())
        .isEqualTo("SEMAPHORE");
    assertThat(m.get("propertyValue_executionIsolationThreadTimeoutInMilliseconds").asInt())
        .isEqualTo(50);
    assertThat(m.get("propertyValue_executionTimeoutInMilliseconds").asInt()).isEqualTo(50);
    assertThat(m.get("propertyValue_executionIsolationThreadInterruptOnTimeout").asBoolean())
        .isTrue();
    assertThat(m.get("propertyValue_executionIsolationThreadPoolKeyOverride").isNull())
        .isTrue();
    assertThat(m.get("propertyValue_executionIsolationSemaphoreMaxConcurrentRequests").asInt())
        .isEqualTo(12);
    assertThat(m.get("propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests").asInt())
        .isEqualTo(7);
    assertThat(m.get("propertyValue_metricsRollingStatisticalWindowInMilliseconds").asInt())
        .isEqualTo(10_000);
    assertThat(m.get("propertyValue_requestCacheEnabled").asBoolean()).isTrue();
    assertThat(m.get("propertyValue_requestLogEnabled").asBoolean()).isFalse();
    assertThat(m.get("reportingHosts").asInt()).isEqualTo(1);
    assertThat(m.get("circuitState").asText()).isEqualTo("CLOSED");
    assertThat(m.get("isolation").asText()).isEqualTo("SEMAPHORE");
  }

  @Test
  void openCircuitIsReportedOpenWithItsErrorPercentage() throws Exception {
    runtime.configure("failing", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .requestVolumeThreshold(4).errorThresholdPercentage(50).build());
    runtime.execute("failing", () -> "ok");
    for (int i = 0; i < 3; i++) {
      runtime.execute("failing", () -> {
        throw new IllegalStateException("down");
      }, (kind, cause) -> "fallback");
    }
    runtime.execute("failing", () -> "never runs", (kind, cause) -> kind.name());

    JsonNode m = JSON.readTree(HystrixMessages.command(runtime.snapshot("failing")));

    assertThat(m.get("isCircuitBreakerOpen").asBoolean()).isTrue();
    assertThat(m.get("circuitState").asText()).isEqualTo("OPEN");
    assertThat(m.get("errorPercentage").asInt()).isEqualTo(75);
    assertThat(m.get("rollingCountShortCircuited").asLong()).isEqualTo(1);
    assertThat(m.get("requestCount").asLong()).isEqualTo(4);
  }

  @Test
  void forcedOpenAndThreadPoolOverrideAreReportedAsHystrixDid() throws Exception {
    runtime.configure("forced", CommandConfig.builder().forceOpen(true)
        .threadPoolKey("SharedPool").build());
    runtime.snapshot("forced");

    JsonNode m = JSON.readTree(HystrixMessages.command(runtime.snapshot("forced")));

    assertThat(m.get("isCircuitBreakerOpen").asBoolean()).isTrue();
    assertThat(m.get("propertyValue_circuitBreakerForceOpen").asBoolean()).isTrue();
    assertThat(m.get("propertyValue_executionIsolationThreadPoolKeyOverride").asText())
        .isEqualTo("SharedPool");
    assertThat(m.get("threadPool").asText()).isEqualTo("SharedPool");
    assertThat(m.get("propertyValue_executionIsolationStrategy").asText()).isEqualTo("THREAD");
  }

  @Test
  void threadPoolMessageHasEveryHystrixKeyAndThePoolsFigures() throws Exception {
    runtime.configure("pooled", CommandConfig.builder().threadPoolKey("Pool").build());
    runtime.configureThreadPool("Pool", ThreadPoolConfig.builder().coreSize(3)
        .maxQueueSize(10).queueSizeRejectionThreshold(4).build());
    for (int i = 0; i < 6; i++) {
      runtime.execute("pooled", () -> "ok");
    }
    // A worker counts its execution just after handing the answer over: wait for the last.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
        runtime.snapshot().threadPools().get(0).rollingCountThreadsExecuted() == 6);
    ThreadPoolSnapshot p = runtime.snapshot().threadPools().get(0);
    JsonNode m = JSON.readTree(HystrixMessages.threadPool(p));

    HystrixFormat.assertFormat(m, HystrixFormat.THREAD_POOL);
    assertThat(m.get("type").asText()).isEqualTo("HystrixThreadPool");
    assertThat(m.get("name").asText()).isEqualTo("Pool");
    assertThat(m.get("currentTime").asLong()).isEqualTo(p.timeMillis());
    assertThat(m.get("currentActiveCount").asInt()).isEqualTo(p.activeCount());
    assertThat(m.get("currentCompletedTaskCount").asLong()).isEqualTo(p.completedTaskCount());
    assertThat(m.get("currentCorePoolSize").asInt()).isEqualTo(3);
    assertThat(m.get("currentLargestPoolSize").asInt()).isEqualTo(p.largestPoolSize());
    assertThat(m.get("currentMaximumPoolSize").asInt()).isEqualTo(p.maximumPoolSize());
    assertThat(m.get("currentPoolSize").asInt()).isEqualTo(p.poolSize());
    assertThat(m.get("currentQueueSize").asInt()).isEqualTo(p.queueSize());
    assertThat(m.get("currentTaskCount").asLong()).isEqualTo(p.taskCount());
    assertThat(m.get("rollingCountThreadsExecuted").asLong()).isEqualTo(6);
    assertThat(m.get("rollingMaxActiveThreads").asLong()).isEqualTo(p.rollingMaxActiveThreads());
    assertThat(m.get("rollingCountCommandRejections").asLong()).isZero();
    assertThat(m.get("propertyValue_queueSizeRejectionThreshold").asInt()).isEqualTo(4);
    assertThat(m.get("propertyValue_metricsRollingStatisticalWindowInMilliseconds").asInt())
        .isEqualTo(10_000);
    assertThat(m.get("reportingHosts").asInt()).isEqualTo(1);
  }

  @Test
  void collapserMessageHasEveryHystrixKey() throws Exception {
    CollapserFigures c = new CollapserFigures("GetValueForKey", 1_700_000_000_000L, 40, 4, 2,
        10, new int[] {9, 10, 11, 12, 12, 12, 12, 13}, true, Integer.MAX_VALUE, 10);
    JsonNode m = JSON.readTree(HystrixMessages.collapser(c));

    HystrixFormat.assertFormat(m, HystrixFormat.COLLAPSER);
    assertThat(m.get("type").asText()).isEqualTo("HystrixCollapser");
    assertThat(m.get("name").asText()).isEqualTo("GetValueForKey");
    assertThat(m.get("currentTime").asLong()).isEqualTo(1_700_000_000_000L);
    assertThat(m.get("rollingCountRequestsBatched").asLong()).isEqualTo(40);
    assertThat(m.get("rollingCountBatches").asLong()).isEqualTo(4);
    assertThat(m.get("rollingCountResponsesFromCache").asLong()).isEqualTo(2);
    assertThat(m.get("batchSize_mean").asInt()).isEqualTo(10);
    assertThat(m.get("batchSize").get("25").asInt()).isEqualTo(9);
    assertThat(m.get("batchSize").get("100").asInt()).isEqualTo(13);
    assertThat(m.get("propertyValue_requestCacheEnabled").asBoolean()).isTrue();
    assertThat(m.get("propertyValue_maxRequestsInBatch").asInt()).isEqualTo(Integer.MAX_VALUE);
    assertThat(m.get("propertyValue_timerDelayInMilliseconds").asInt()).isEqualTo(10);
  }

  @Test
  void collapserFiguresRefuseAWrongNumberOfPercentiles() {
    assertThatThrownBy(() -> new CollapserFigures("c", 0, 0, 0, 0, 0, new int[3], true, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8 values");
  }

  @Test
  void virtualIsolationIsSemaphoreForHystrixReaders() {
    assertThat(HystrixMessages.hystrixIsolation(Isolation.VIRTUAL)).isEqualTo("SEMAPHORE");
    assertThat(HystrixMessages.hystrixIsolation(Isolation.THREAD)).isEqualTo("THREAD");
  }
}
