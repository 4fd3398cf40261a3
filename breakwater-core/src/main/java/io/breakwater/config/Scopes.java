package io.breakwater.config;

import static io.breakwater.config.Setting.bool;
import static io.breakwater.config.Setting.collapserScope;
import static io.breakwater.config.Setting.instanceName;
import static io.breakwater.config.Setting.integer;
import static io.breakwater.config.Setting.isolation;
import static io.breakwater.config.Setting.noEffect;

import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import java.util.List;

/**
 * The key table: every setting Breakwater reads, with its Hystrix name (see
 * {@code breakwater-core/CONFIG.md} for the same table with defaults). Hystrix names are those
 * of Hystrix 1.5.x; Breakwater names are the builder methods' names.
 */
final class Scopes {

  private Scopes() {}

  static final Scope<CommandConfig, CommandConfig.Builder> COMMAND = new Scope<>(
      "command", "breakwater.command.", "hystrix.command.", false,
      List.of(
          isolation("isolation", "execution.isolation.strategy",
              CommandConfig::isolation, CommandConfig.Builder::isolation),
          integer("timeoutMillis", "execution.isolation.thread.timeoutInMilliseconds",
              CommandConfig::timeoutMillis, CommandConfig.Builder::timeoutMillis),
          bool("timeoutEnabled", "execution.timeout.enabled",
              CommandConfig::timeoutEnabled, CommandConfig.Builder::timeoutEnabled),
          bool("interruptOnTimeout", "execution.isolation.thread.interruptOnTimeout",
              CommandConfig::interruptOnTimeout, CommandConfig.Builder::interruptOnTimeout),
          bool("interruptOnFutureCancel", "execution.isolation.thread.interruptOnFutureCancel",
              CommandConfig::interruptOnFutureCancel,
              CommandConfig.Builder::interruptOnFutureCancel),
          integer("maxConcurrentRequests", "execution.isolation.semaphore.maxConcurrentRequests",
              CommandConfig::maxConcurrentRequests, CommandConfig.Builder::maxConcurrentRequests),
          integer("fallbackMaxConcurrentRequests",
              "fallback.isolation.semaphore.maxConcurrentRequests",
              CommandConfig::fallbackMaxConcurrentRequests,
              CommandConfig.Builder::fallbackMaxConcurrentRequests),
          bool("fallbackEnabled", "fallback.enabled",
              CommandConfig::fallbackEnabled, CommandConfig.Builder::fallbackEnabled),
          bool("circuitBreakerEnabled", "circuitBreaker.enabled",
              CommandConfig::circuitBreakerEnabled, CommandConfig.Builder::circuitBreakerEnabled),
          integer("requestVolumeThreshold", "circuitBreaker.requestVolumeThreshold",
              CommandConfig::requestVolumeThreshold,
              CommandConfig.Builder::requestVolumeThreshold),
          integer("sleepWindowMillis", "circuitBreaker.sleepWindowInMilliseconds",
              CommandConfig::sleepWindowMillis, CommandConfig.Builder::sleepWindowMillis),
          integer("errorThresholdPercentage", "circuitBreaker.errorThresholdPercentage",
              CommandConfig::errorThresholdPercentage,
              CommandConfig.Builder::errorThresholdPercentage),
          bool("forceOpen", "circuitBreaker.forceOpen",
              CommandConfig::forceOpen, CommandConfig.Builder::forceOpen),
          bool("forceClosed", "circuitBreaker.forceClosed",
              CommandConfig::forceClosed, CommandConfig.Builder::forceClosed),
          integer("rollingStatsWindowMillis", "metrics.rollingStats.timeInMilliseconds",
              CommandConfig::rollingStatsWindowMillis,
              CommandConfig.Builder::rollingStatsWindowMillis),
          integer("rollingStatsBuckets", "metrics.rollingStats.numBuckets",
              CommandConfig::rollingStatsBuckets, CommandConfig.Builder::rollingStatsBuckets),
          bool("rollingPercentileEnabled", "metrics.rollingPercentile.enabled",
              CommandConfig::rollingPercentileEnabled,
              CommandConfig.Builder::rollingPercentileEnabled),
          integer("rollingPercentileWindowMillis", "metrics.rollingPercentile.timeInMilliseconds",
              CommandConfig::rollingPercentileWindowMillis,
              CommandConfig.Builder::rollingPercentileWindowMillis),
          integer("rollingPercentileBuckets", "metrics.rollingPercentile.numBuckets",
              CommandConfig::rollingPercentileBuckets,
              CommandConfig.Builder::rollingPercentileBuckets),
          noEffect("metrics.rollingPercentile.bucketSize"),
          integer("healthSnapshotIntervalMillis", "metrics.healthSnapshot.intervalInMilliseconds",
              CommandConfig::healthSnapshotIntervalMillis,
              CommandConfig.Builder::healthSnapshotIntervalMillis),
          bool("requestCacheEnabled", "requestCache.enabled",
              CommandConfig::requestCacheEnabled, CommandConfig.Builder::requestCacheEnabled),
          bool("requestLogEnabled", "requestLog.enabled",
              CommandConfig::requestLogEnabled, CommandConfig.Builder::requestLogEnabled),
          instanceName("threadPoolKey", "threadPoolKeyOverride",
              CommandConfig::threadPoolKey, CommandConfig.Builder::threadPoolKey),
          instanceName("group", null, CommandConfig::group, CommandConfig.Builder::group)),
      CommandConfig.defaults(),
      CommandConfig.builder().group("probe").threadPoolKey("probe")
          .isolation(Isolation.SEMAPHORE).timeoutMillis(1001).timeoutEnabled(false)
          .interruptOnTimeout(false).interruptOnFutureCancel(true).maxConcurrentRequests(11)
          .fallbackMaxConcurrentRequests(11).fallbackEnabled(false)
          .circuitBreakerEnabled(false).requestVolumeThreshold(21).sleepWindowMillis(5001)
          .errorThresholdPercentage(51).forceOpen(true).forceClosed(true)
          .rollingStatsWindowMillis(20_000).rollingStatsBuckets(1)
          .rollingPercentileEnabled(false).rollingPercentileWindowMillis(120_000)
          .rollingPercentileBuckets(1).healthSnapshotIntervalMillis(501)
          .requestCacheEnabled(false).requestLogEnabled(false).build(),
      CommandConfig::toBuilder, CommandConfig.Builder::build);

  static final Scope<ThreadPoolConfig, ThreadPoolConfig.Builder> THREAD_POOL = new Scope<>(
      "thread pool", "breakwater.threadpool.", "hystrix.threadpool.", false,
      List.of(
          integer("coreSize", "coreSize",
              ThreadPoolConfig::coreSize, ThreadPoolConfig.Builder::coreSize),
          integer("maximumSize", "maximumSize",
              ThreadPoolConfig::maximumSize, ThreadPoolConfig.Builder::maximumSize),
          bool("allowMaximumSizeToDivergeFromCoreSize", "allowMaximumSizeToDivergeFromCoreSize",
              ThreadPoolConfig::allowMaximumSizeToDivergeFromCoreSize,
              ThreadPoolConfig.Builder::allowMaximumSizeToDivergeFromCoreSize),
          integer("keepAliveMinutes", "keepAliveTimeMinutes",
              ThreadPoolConfig::keepAliveMinutes, ThreadPoolConfig.Builder::keepAliveMinutes),
          integer("maxQueueSize", "maxQueueSize",
              ThreadPoolConfig::maxQueueSize, ThreadPoolConfig.Builder::maxQueueSize),
          integer("queueSizeRejectionThreshold", "queueSizeRejectionThreshold",
              ThreadPoolConfig::queueSizeRejectionThreshold,
              ThreadPoolConfig.Builder::queueSizeRejectionThreshold),
          integer("rollingStatsWindowMillis", "metrics.rollingStats.timeInMilliseconds",
              ThreadPoolConfig::rollingStatsWindowMillis,
              ThreadPoolConfig.Builder::rollingStatsWindowMillis),
          integer("rollingStatsBuckets", "metrics.rollingStats.numBuckets",
              ThreadPoolConfig::rollingStatsBuckets,
              ThreadPoolConfig.Builder::rollingStatsBuckets)),
      ThreadPoolConfig.defaults(),
      ThreadPoolConfig.builder().coreSize(1).maximumSize(Integer.MAX_VALUE)
          .allowMaximumSizeToDivergeFromCoreSize(true).keepAliveMinutes(2).maxQueueSize(1)
          .queueSizeRejectionThreshold(6).rollingStatsWindowMillis(20_000)
          .rollingStatsBuckets(1).build(),
      ThreadPoolConfig::toBuilder, ThreadPoolConfig.Builder::build);

  static final Scope<CollapserConfig, CollapserConfig.Builder> COLLAPSER = new Scope<>(
      "collapser", "breakwater.collapser.", "hystrix.collapser.", false,
      List.of(
          integer("maxRequestsInBatch", "maxRequestsInBatch",
              CollapserConfig::maxRequestsInBatch,
              CollapserConfig.Builder::maxRequestsInBatch),
          integer("timerDelayMillis", "timerDelayInMilliseconds",
              CollapserConfig::timerDelayMillis, CollapserConfig.Builder::timerDelayMillis),
          bool("requestCacheEnabled", "requestCache.enabled",
              CollapserConfig::requestCacheEnabled,
              CollapserConfig.Builder::requestCacheEnabled),
          integer("rollingStatsWindowMillis", "metrics.rollingStats.timeInMilliseconds",
              CollapserConfig::rollingStatsWindowMillis,
              CollapserConfig.Builder::rollingStatsWindowMillis),
          integer("rollingStatsBuckets", "metrics.rollingStats.numBuckets",
              CollapserConfig::rollingStatsBuckets,
              CollapserConfig.Builder::rollingStatsBuckets),
          bool("rollingPercentileEnabled", "metrics.rollingPercentile.enabled",
              CollapserConfig::rollingPercentileEnabled,
              CollapserConfig.Builder::rollingPercentileEnabled),
          integer("rollingPercentileWindowMillis", "metrics.rollingPercentile.timeInMilliseconds",
              CollapserConfig::rollingPercentileWindowMillis,
              CollapserConfig.Builder::rollingPercentileWindowMillis),
          integer("rollingPercentileBuckets", "metrics.rollingPercentile.numBuckets",
              CollapserConfig::rollingPercentileBuckets,
              CollapserConfig.Builder::rollingPercentileBuckets),
          noEffect("metrics.rollingPercentile.bucketSize"),
          collapserScope("scope", CollapserConfig::scope, CollapserConfig.Builder::scope)),
      CollapserConfig.defaults(),
      CollapserConfig.builder().scope(CollapserConfig.Scope.GLOBAL).maxRequestsInBatch(1)
          .timerDelayMillis(11).requestCacheEnabled(false).rollingStatsWindowMillis(20_000)
          .rollingStatsBuckets(1)
          .rollingPercentileEnabled(false).rollingPercentileWindowMillis(120_000)
          .rollingPercentileBuckets(1).build(),
      CollapserConfig::toBuilder, CollapserConfig.Builder::build);

  /** Stream settings and the one global Hystrix key with no Breakwater counterpart. */
  static final Scope<StreamSettings, StreamSettings.Builder> GLOBAL = new Scope<>(
      "stream", "breakwater.stream.", "hystrix.stream.", true,
      List.of(
          integer("dashboardIntervalMillis", "hystrix.stream.dashboard.intervalInMilliseconds",
              StreamSettings::dashboardIntervalMillis,
              StreamSettings.Builder::dashboardIntervalMillis),
          integer("utilizationIntervalMillis",
              "hystrix.stream.utilization.intervalInMilliseconds",
              StreamSettings::utilizationIntervalMillis,
              StreamSettings.Builder::utilizationIntervalMillis),
          integer("configIntervalMillis", "hystrix.stream.config.intervalInMilliseconds",
              StreamSettings::configIntervalMillis, StreamSettings.Builder::configIntervalMillis),
          integer("maxConcurrentConnections", "hystrix.config.stream.maxConcurrentConnections",
              StreamSettings::maxConcurrentConnections,
              StreamSettings.Builder::maxConcurrentConnections),
          noEffect("hystrix.timer.threadpool.default.coreSize")),
      StreamSettings.defaults(),
      StreamSettings.builder().dashboardIntervalMillis(501).utilizationIntervalMillis(501)
          .configIntervalMillis(5001).maxConcurrentConnections(6).build(),
      StreamSettings::toBuilder, StreamSettings.Builder::build);

  static final List<Scope<?, ?>> ALL = List.of(COMMAND, THREAD_POOL, COLLAPSER, GLOBAL);
}
