package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The message formats of reference/hystrix.md §3.2-§3.4: every key, in Hystrix's order, with
 * its JSON type. Integral numbers are checked as integers, never as floating point.
 */
final class HystrixFormat {

  private static final JsonNodeType S = JsonNodeType.STRING;
  private static final JsonNodeType N = JsonNodeType.NUMBER;
  private static final JsonNodeType B = JsonNodeType.BOOLEAN;
  private static final JsonNodeType O = JsonNodeType.OBJECT;

  static final Map<String, JsonNodeType> COMMAND = keys(
      "type", S, "name", S, "group", S, "currentTime", N, "isCircuitBreakerOpen", B,
      "errorPercentage", N, "errorCount", N, "requestCount", N,
      "rollingCountBadRequests", N, "rollingCountCollapsedRequests", N, "rollingCountEmit", N,
      "rollingCountExceptionsThrown", N, "rollingCountFailure", N,
      "rollingCountFallbackEmit", N, "rollingCountFallbackFailure", N,
      "rollingCountFallbackMissing", N, "rollingCountFallbackRejection", N,
      "rollingCountFallbackSuccess", N, "rollingCountResponsesFromCache", N,
      "rollingCountSemaphoreRejected", N, "rollingCountShortCircuited", N,
      "rollingCountSuccess", N, "rollingCountThreadPoolRejected", N, "rollingCountTimeout", N,
      "currentConcurrentExecutionCount", N, "rollingMaxConcurrentExecutionCount", N,
      "latencyExecute_mean", N, "latencyExecute", O, "latencyTotal_mean", N, "latencyTotal", O,
      "propertyValue_circuitBreakerRequestVolumeThreshold", N,
      "propertyValue_circuitBreakerSleepWindowInMilliseconds", N,
      "propertyValue_circuitBreakerErrorThresholdPercentage", N,
      "propertyValue_circuitBreakerForceOpen", B, "propertyValue_circuitBreakerForceClosed", B,
      "propertyValue_circuitBreakerEnabled", B, "propertyValue_executionIsolationStrategy", S,
      "propertyValue_executionIsolationThreadTimeoutInMilliseconds", N,
      "propertyValue_executionTimeoutInMilliseconds", N,
      "propertyValue_executionIsolationThreadInterruptOnTimeout", B,
      "propertyValue_executionIsolationThreadPoolKeyOverride", JsonNodeType.NULL,
      "propertyValue_executionIsolationSemaphoreMaxConcurrentRequests", N,
      "propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests", N,
      "propertyValue_metricsRollingStatisticalWindowInMilliseconds", N,
      "propertyValue_requestCacheEnabled", B, "propertyValue_requestLogEnabled", B,
      "reportingHosts", N, "threadPool", S);

  static final Map<String, JsonNodeType> THREAD_POOL = keys(
      "type", S, "name", S, "currentTime", N, "currentActiveCount", N,
      "currentCompletedTaskCount", N, "currentCorePoolSize", N, "currentLargestPoolSize", N,
      "currentMaximumPoolSize", N, "currentPoolSize", N, "currentQueueSize", N,
      "currentTaskCount", N, "rollingCountThreadsExecuted", N, "rollingMaxActiveThreads", N,
      "rollingCountCommandRejections", N, "propertyValue_queueSizeRejectionThreshold", N,
      "propertyValue_metricsRollingStatisticalWindowInMilliseconds", N, "reportingHosts", N);

  static final Map<String, JsonNodeType> COLLAPSER = keys(
      "type", S, "name", S, "currentTime", N, "rollingCountRequestsBatched", N,
      "rollingCountBatches", N, "rollingCountResponsesFromCache", N, "batchSize_mean", N,
      "batchSize", O, "propertyValue_requestCacheEnabled", B,
      "propertyValue_maxRequestsInBatch", N, "propertyValue_timerDelayInMilliseconds", N,
      "reportingHosts", N);

  static final List<String> LATENCY_KEYS =
      List.of("0", "25", "50", "75", "90", "95", "99", "99.5", "100");
  static final List<String> BATCH_KEYS =
      List.of("25", "50", "75", "90", "95", "99", "99.5", "100");

  private HystrixFormat() {}

  /**
   * Asserts that a message has every key of the format, in the format's order, each of the
   * right JSON type (a nullable string may also be a string), with integral numbers.
   */
  static void assertFormat(JsonNode message, Map<String, JsonNodeType> format) {
    List<String> keys = new ArrayList<>();
    for (Iterator<String> it = message.fieldNames(); it.hasNext(); ) {
      keys.add(it.next());
    }
    List<String> hystrixKeys = keys.subList(0, Math.min(keys.size(), format.size()));
    assertThat(hystrixKeys).as("keys in Hystrix's order").containsExactlyElementsOf(
        format.keySet());
    format.forEach((key, type) -> {
      JsonNode v = message.get(key);
      if (type == JsonNodeType.NULL) {
        assertThat(v.isNull() || v.isTextual()).as(key + " is null or a string").isTrue();
      } else {
        assertThat(v.getNodeType()).as(key).isEqualTo(type);
      }
      if (type == JsonNodeType.NUMBER) {
        assertThat(v.isIntegralNumber()).as(key + " is an integer").isTrue();
      }
    });
    for (String percentileObject : List.of("latencyExecute", "latencyTotal", "batchSize")) {
      if (format.containsKey(percentileObject)) {
        List<String> expected = percentileObject.equals("batchSize") ? BATCH_KEYS : LATENCY_KEYS;
        List<String> got = new ArrayList<>();
        message.get(percentileObject).fieldNames().forEachRemaining(got::add);
        assertThat(got).as(percentileObject + " keys").containsExactlyElementsOf(expected);
        message.get(percentileObject).forEach(v ->
            assertThat(v.isIntegralNumber()).as(percentileObject + " values").isTrue());
      }
    }
  }

  private static Map<String, JsonNodeType> keys(Object... pairs) {
    Map<String, JsonNodeType> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (JsonNodeType) pairs[i + 1]);
    }
    return m;
  }
}
