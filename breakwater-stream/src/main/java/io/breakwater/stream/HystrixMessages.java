package io.breakwater.stream;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.LatencySnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes snapshots as the JSON messages of Hystrix's metrics stream, one object per command,
 * thread pool or collapser, with Hystrix's field names, types and order, so the Hystrix
 * Dashboard and Turbine read them unchanged.
 *
 * <p>Each message type is one method, called from {@link LocalFeed#tick()}; collapser
 * snapshots reach the collapser message through {@link CollapserFigures#of}. Fields
 * after {@code threadPool} in the command message are Breakwater's own ({@code circuitState},
 * {@code isolation}): Hystrix's readers ignore keys they do not know.
 *
 * <p>Thread-safe: it holds nothing but the shared, immutable Jackson factory.
 */
final class HystrixMessages {

  static final String COMMAND = "HystrixCommand";
  static final String THREAD_POOL = "HystrixThreadPool";
  static final String COLLAPSER = "HystrixCollapser";

  /** JSON keys of Hystrix's percentile objects, in the order Hystrix writes them. */
  private static final String[] LATENCY_KEYS = {"0", "25", "50", "75", "90", "95", "99", "99.5",
      "100"};
  private static final String[] BATCH_KEYS = {"25", "50", "75", "90", "95", "99", "99.5", "100"};

  private static final JsonFactory JSON = new JsonFactory();

  private HystrixMessages() {}

  /** The {@code HystrixCommand} message of a command. */
  static byte[] command(CommandSnapshot c) {
    return write(g -> {
      CommandConfig config = c.config();
      g.writeStringField("type", COMMAND);
      g.writeStringField("name", c.name());
      g.writeStringField("group", c.group());
      g.writeNumberField("currentTime", c.timeMillis());
      g.writeBooleanField("isCircuitBreakerOpen", c.circuitOpen());
      g.writeNumberField("errorPercentage", c.health().errorPercentage());
      g.writeNumberField("errorCount", c.health().errors());
      g.writeNumberField("requestCount", c.health().total());
      g.writeNumberField("rollingCountBadRequests", c.rollingCount(EventType.BAD_REQUEST));
      g.writeNumberField("rollingCountCollapsedRequests", c.rollingCount(EventType.COLLAPSED));
      g.writeNumberField("rollingCountEmit", c.rollingCount(EventType.EMIT));
      g.writeNumberField("rollingCountExceptionsThrown",
          c.rollingCount(EventType.EXCEPTION_THROWN));
      g.writeNumberField("rollingCountFailure", c.rollingCount(EventType.FAILURE));
      g.writeNumberField("rollingCountFallbackEmit", c.rollingCount(EventType.FALLBACK_EMIT));
      g.writeNumberField("rollingCountFallbackFailure",
          c.rollingCount(EventType.FALLBACK_FAILURE));
      g.writeNumberField("rollingCountFallbackMissing",
          c.rollingCount(EventType.FALLBACK_MISSING));
      g.writeNumberField("rollingCountFallbackRejection",
          c.rollingCount(EventType.FALLBACK_REJECTION));
      g.writeNumberField("rollingCountFallbackSuccess",
          c.rollingCount(EventType.FALLBACK_SUCCESS));
      g.writeNumberField("rollingCountResponsesFromCache",
          c.rollingCount(EventType.RESPONSE_FROM_CACHE));
      g.writeNumberField("rollingCountSemaphoreRejected",
          c.rollingCount(EventType.SEMAPHORE_REJECTED));
      g.writeNumberField("rollingCountShortCircuited",
          c.rollingCount(EventType.SHORT_CIRCUITED));
      g.writeNumberField("rollingCountSuccess", c.rollingCount(EventType.SUCCESS));
      g.writeNumberField("rollingCountThreadPoolRejected",
          c.rollingCount(EventType.THREAD_POOL_REJECTED));
      g.writeNumberField("rollingCountTimeout", c.rollingCount(EventType.TIMEOUT));
      g.writeNumberField("currentConcurrentExecutionCount", c.currentConcurrency());
      g.writeNumberField("rollingMaxConcurrentExecutionCount", c.rollingMaxConcurrency());
      latency(g, "latencyExecute", c.executionLatency());
      latency(g, "latencyTotal", c.totalLatency());
      g.writeNumberField("propertyValue_circuitBreakerRequestVolumeThreshold",
          config.requestVolumeThreshold());
      g.writeNumberField("propertyValue_circuitBreakerSleepWindowInMilliseconds",
          config.sleepWindowMillis());
      g.writeNumberField("propertyValue_circuitBreakerErrorThresholdPercentage",
          config.errorThresholdPercentage());
      g.writeBooleanField("propertyValue_circuitBreakerForceOpen", config.forceOpen());
      g.writeBooleanField("propertyValue_circuitBreakerForceClosed", config.forceClosed());
      g.writeBooleanField("propertyValue_circuitBreakerEnabled", config.circuitBreakerEnabled());
      g.writeStringField("propertyValue_executionIsolationStrategy",
          hystrixIsolation(config.isolation()));
      g.writeNumberField("propertyValue_executionIsolationThreadTimeoutInMilliseconds",
          config.timeoutMillis());
      g.writeNumberField("propertyValue_executionTimeoutInMilliseconds", config.timeoutMillis());
      g.writeBooleanField("propertyValue_executionIsolationThreadInterruptOnTimeout",
          config.interruptOnTimeout());
      g.writeStringField("propertyValue_executionIsolationThreadPoolKeyOverride",
          config.threadPoolKey());
      g.writeNumberField("propertyValue_executionIsolationSemaphoreMaxConcurrentRequests",
          config.maxConcurrentRequests());
      g.writeNumberField("propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests",
          config.fallbackMaxConcurrentRequests());
      g.writeNumberField("propertyValue_metricsRollingStatisticalWindowInMilliseconds",
          config.rollingStatsWindowMillis());
      g.writeBooleanField("propertyValue_requestCacheEnabled", config.requestCacheEnabled());
      g.writeBooleanField("propertyValue_requestLogEnabled", config.requestLogEnabled());
      g.writeNumberField("reportingHosts", 1);
      g.writeStringField("threadPool", c.threadPoolKey());
      g.writeStringField("circuitState", c.circuitState().name());
      g.writeStringField("isolation", config.isolation().name());
    });
  }

  /** The {@code HystrixThreadPool} message of a thread pool. */
  static byte[] threadPool(ThreadPoolSnapshot p) {
    return write(g -> {
      ThreadPoolConfig config = p.config();
      g.writeStringField("type", THREAD_POOL);
      g.writeStringField("name", p.name());
      g.writeNumberField("currentTime", p.timeMillis());
      g.writeNumberField("currentActiveCount", p.activeCount());
      g.writeNumberField("currentCompletedTaskCount", p.completedTaskCount());
      g.writeNumberField("currentCorePoolSize", p.corePoolSize());
      g.writeNumberField("currentLargestPoolSize", p.largestPoolSize());
      g.writeNumberField("currentMaximumPoolSize", p.maximumPoolSize());
      g.writeNumberField("currentPoolSize", p.poolSize());
      g.writeNumberField("currentQueueSize", p.queueSize());
      g.writeNumberField("currentTaskCount", p.taskCount());
      g.writeNumberField("rollingCountThreadsExecuted", p.rollingCountThreadsExecuted());
      g.writeNumberField("rollingMaxActiveThreads", p.rollingMaxActiveThreads());
      g.writeNumberField("rollingCountCommandRejections", p.rollingCountCommandRejections());
      g.writeNumberField("propertyValue_queueSizeRejectionThreshold",
          config.queueSizeRejectionThreshold());
      g.writeNumberField("propertyValue_metricsRollingStatisticalWindowInMilliseconds",
          config.rollingStatsWindowMillis());
      g.writeNumberField("reportingHosts", 1);
    });
  }

  /** The {@code HystrixCollapser} message of a collapser. */
  static byte[] collapser(CollapserFigures c) {
    return write(g -> {
      g.writeStringField("type", COLLAPSER);
      g.writeStringField("name", c.name());
      g.writeNumberField("currentTime", c.timeMillis());
      g.writeNumberField("rollingCountRequestsBatched", c.rollingCountRequestsBatched());
      g.writeNumberField("rollingCountBatches", c.rollingCountBatches());
      g.writeNumberField("rollingCountResponsesFromCache", c.rollingCountResponsesFromCache());
      g.writeNumberField("batchSize_mean", c.batchSizeMean());
      g.writeObjectFieldStart("batchSize");
      int[] sizes = c.batchSizePercentiles();
      for (int i = 0; i < BATCH_KEYS.length; i++) {
        g.writeNumberField(BATCH_KEYS[i], sizes[i]);
      }
      g.writeEndObject();
      g.writeBooleanField("propertyValue_requestCacheEnabled", c.requestCacheEnabled());
      g.writeNumberField("propertyValue_maxRequestsInBatch", c.maxRequestsInBatch());
      g.writeNumberField("propertyValue_timerDelayInMilliseconds", c.timerDelayMillis());
      g.writeNumberField("reportingHosts", 1);
    });
  }

  /**
   * Hystrix knows two strategies. Virtual isolation is bounded by the command's semaphore, so
   * for Hystrix's readers (the dashboard picks which rejection count to show by this value) it
   * is SEMAPHORE; the {@code isolation} field carries the real one.
   */
  static String hystrixIsolation(Isolation isolation) {
    return isolation == Isolation.THREAD ? "THREAD" : "SEMAPHORE";
  }

  private static void latency(JsonGenerator g, String field, LatencySnapshot l)
      throws IOException {
    g.writeNumberField(field + "_mean", l.meanMillis());
    g.writeObjectFieldStart(field);
    for (int i = 0; i < LATENCY_KEYS.length; i++) {
      g.writeNumberField(LATENCY_KEYS[i], l.percentileMillis(LatencySnapshot.PERCENTILES[i]));
    }
    g.writeEndObject();
  }

  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Fields fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      // Writing to memory does not fail; a broken generator is our bug.
      throw new UncheckedIOException("could not write a stream message", e);
    }
    return out.toByteArray();
  }
}
