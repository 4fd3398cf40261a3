package io.breakwater;

import io.breakwater.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * How one command is protected: its timeout, isolation, circuit breaker thresholds and metrics
 * windows. Immutable; build one with {@link #builder()} or derive one with {@link #toBuilder()}.
 *
 * <p>Defaults are Hystrix's, so a migrated command behaves as before: timeout 1000 ms with
 * interrupt, thread isolation, 10 concurrent executions and 10 concurrent fallbacks, circuit
 * breaker volume 20, error threshold 50 %, sleep window 5000 ms, rolling statistics over 10 s in
 * 10 buckets, latency percentiles over 60 s in 6 buckets, health snapshots every 500 ms, request
 * cache and request log on.
 *
 * <p>The builder is not thread-safe; the built config is. The builder checks every value and
 * names the field and the value it refuses.
 */
public final class CommandConfig {

  public static final String DEFAULT_GROUP = null;
  public static final Isolation DEFAULT_ISOLATION = Isolation.THREAD;
  public static final int DEFAULT_TIMEOUT_MILLIS = 1000;
  public static final boolean DEFAULT_TIMEOUT_ENABLED = true;
  public static final boolean DEFAULT_INTERRUPT_ON_TIMEOUT = true;
  public static final boolean DEFAULT_INTERRUPT_ON_FUTURE_CANCEL = false;
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 10;
  public static final int DEFAULT_FALLBACK_MAX_CONCURRENT_REQUESTS = 10;
  public static final boolean DEFAULT_FALLBACK_ENABLED = true;
  public static final boolean DEFAULT_CIRCUIT_BREAKER_ENABLED = true;
  public static final int DEFAULT_REQUEST_VOLUME_THRESHOLD = 20;
  public static final int DEFAULT_SLEEP_WINDOW_MILLIS = 5000;
  public static final int DEFAULT_ERROR_THRESHOLD_PERCENTAGE = 50;
  public static final int DEFAULT_ROLLING_STATS_WINDOW_MILLIS = 10_000;
  public static final int DEFAULT_ROLLING_STATS_BUCKETS = 10;
  public static final boolean DEFAULT_ROLLING_PERCENTILE_ENABLED = true;
  public static final int DEFAULT_ROLLING_PERCENTILE_WINDOW_MILLIS = 60_000;
  public static final int DEFAULT_ROLLING_PERCENTILE_BUCKETS = 6;
  public static final int DEFAULT_HEALTH_SNAPSHOT_INTERVAL_MILLIS = 500;
  public static final boolean DEFAULT_REQUEST_CACHE_ENABLED = true;
  public static final boolean DEFAULT_REQUEST_LOG_ENABLED = true;

  private static final CommandConfig DEFAULTS = new Builder().build();

  private final String group;
  private final String threadPoolKey;
  private final Isolation isolation;
  private final int timeoutMillis;
  private final boolean timeoutEnabled;
  private final boolean interruptOnTimeout;
  private final boolean interruptOnFutureCancel;
  private final int maxConcurrentRequests;
  private final int fallbackMaxConcurrentRequests;
  private final boolean fallbackEnabled;
  private final boolean circuitBreakerEnabled;
  private final int requestVolumeThreshold;
  private final int sleepWindowMillis;
  private final int errorThresholdPercentage;
  private final boolean forceOpen;
  private final boolean forceClosed;
  private final int rollingStatsWindowMillis;
  private final int rollingStatsBuckets;
  private final boolean rollingPercentileEnabled;
  private final int rollingPercentileWindowMillis;
  private final int rollingPercentileBuckets;
  private final int healthSnapshotIntervalMillis;
  private final boolean requestCacheEnabled;
  private final boolean requestLogEnabled;

  private CommandConfig(Builder b) {
    this.group = b.group;
    this.threadPoolKey = b.threadPoolKey;
    this.isolation = b.isolation;
    this.timeoutMillis = b.timeoutMillis;
    this.timeoutEnabled = b.timeoutEnabled;
    this.interruptOnTimeout = b.interruptOnTimeout;
    this.interruptOnFutureCancel = b.interruptOnFutureCancel;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.fallbackMaxConcurrentRequests = b.fallbackMaxConcurrentRequests;
    this.fallbackEnabled = b.fallbackEnabled;
    this.circuitBreakerEnabled = b.circuitBreakerEnabled;
    this.requestVolumeThreshold = b.requestVolumeThreshold;
    this.sleepWindowMillis = b.sleepWindowMillis;
    this.errorThresholdPercentage = b.errorThresholdPercentage;
    this.forceOpen = b.forceOpen;
    this.forceClosed = b.forceClosed;
    this.rollingStatsWindowMillis = b.rollingStatsWindowMillis;
    this.rollingStatsBuckets = b.rollingStatsBuckets;
    this.rollingPercentileEnabled = b.rollingPercentileEnabled;
    this.rollingPercentileWindowMillis = b.rollingPercentileWindowMillis;
    this.rollingPercentileBuckets = b.rollingPercentileBuckets;
    this.healthSnapshotIntervalMillis = b.healthSnapshotIntervalMillis;
    this.requestCacheEnabled = b.requestCacheEnabled;
    this.requestLogEnabled = b.requestLogEnabled;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The config with every default. */
  public static CommandConfig defaults() {
    return DEFAULTS;
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The group the command belongs to; null means the command's own name. */
  public String group() {
    return group;
  }

  /** The thread pool key; null means the group. */
  public String threadPoolKey() {
    return threadPoolKey;
  }

  public Isolation isolation() {
    return isolation;
  }

  public int timeoutMillis() {
    return timeoutMillis;
  }

  public boolean timeoutEnabled() {
    return timeoutEnabled;
  }

  public boolean interruptOnTimeout() {
    return interruptOnTimeout;
  }

  public boolean interruptOnFutureCancel() {
    return interruptOnFutureCancel;
  }

  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  public int fallbackMaxConcurrentRequests() {
    return fallbackMaxConcurrentRequests;
  }

  public boolean fallbackEnabled() {
    return fallbackEnabled;
  }

  public boolean circuitBreakerEnabled() {
    return circuitBreakerEnabled;
  }

  public int requestVolumeThreshold() {
    return requestVolumeThreshold;
  }

  public int sleepWindowMillis() {
    return sleepWindowMillis;
  }

  public int errorThresholdPercentage() {
    return errorThresholdPercentage;
  }

  public boolean forceOpen() {
    return forceOpen;
  }

  public boolean forceClosed() {
    return forceClosed;
  }

  public int rollingStatsWindowMillis() {
    return rollingStatsWindowMillis;
  }

  public int rollingStatsBuckets() {
    return rollingStatsBuckets;
  }

  public boolean rollingPercentileEnabled() {
    return rollingPercentileEnabled;
  }

  public int rollingPercentileWindowMillis() {
    return rollingPercentileWindowMillis;
  }

  public int rollingPercentileBuckets() {
    return rollingPercentileBuckets;
  }

  public int healthSnapshotIntervalMillis() {
    return healthSnapshotIntervalMillis;
  }

  public boolean requestCacheEnabled() {
    return requestCacheEnabled;
  }

  public boolean requestLogEnabled() {
    return requestLogEnabled;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CommandConfig)) {
      return false;
    }
    CommandConfig c = (CommandConfig) o;
    return Objects.equals(group, c.group)
        && Objects.equals(threadPoolKey, c.threadPoolKey)
        && isolation == c.isolation
        && timeoutMillis == c.timeoutMillis
        && timeoutEnabled == c.timeoutEnabled
        && interruptOnTimeout == c.interruptOnTimeout
        && interruptOnFutureCancel == c.interruptOnFutureCancel
        && maxConcurrentRequests == c.maxConcurrentRequests
        && fallbackMaxConcurrentRequests == c.fallbackMaxConcurrentRequests
        && fallbackEnabled == c.fallbackEnabled
        && circuitBreakerEnabled == c.circuitBreakerEnabled
        && requestVolumeThreshold == c.requestVolumeThreshold
        && sleepWindowMillis == c.sleepWindowMillis
        && errorThresholdPercentage == c.errorThresholdPercentage
        && forceOpen == c.forceOpen
        && forceClosed == c.forceClosed
        && rollingStatsWindowMillis == c.rollingStatsWindowMillis
        && rollingStatsBuckets == c.rollingStatsBuckets
        && rollingPercentileEnabled == c.rollingPercentileEnabled
        && rollingPercentileWindowMillis == c.rollingPercentileWindowMillis
        && rollingPercentileBuckets == c.rollingPercentileBuckets
        && healthSnapshotIntervalMillis == c.healthSnapshotIntervalMillis
        && requestCacheEnabled == c.requestCacheEnabled
        && requestLogEnabled == c.requestLogEnabled;
  }

  @Override
  public int hashCode() {
    return Objects.hash(group, threadPoolKey, isolation, timeoutMillis, maxConcurrentRequests,
        requestVolumeThreshold, sleepWindowMillis, errorThresholdPercentage);
  }

  @Override
  public String toString() {
    return "CommandConfig{group=" + group + ", threadPoolKey=" + threadPoolKey
        + ", isolation=" + isolation + ", timeoutMillis=" + timeoutMillis
        + ", timeoutEnabled=" + timeoutEnabled + ", interruptOnTimeout=" + interruptOnTimeout
        + ", interruptOnFutureCancel=" + interruptOnFutureCancel
        + ", maxConcurrentRequests=" + maxConcurrentRequests
        + ", fallbackMaxConcurrentRequests=" + fallbackMaxConcurrentRequests
        + ", fallbackEnabled=" + fallbackEnabled
        + ", circuitBreakerEnabled=" + circuitBreakerEnabled
        + ", requestVolumeThreshold=" + requestVolumeThreshold
        + ", sleepWindowMillis=" + sleepWindowMillis
        + ", errorThresholdPercentage=" + errorThresholdPercentage
        + ", forceOpen=" + forceOpen + ", forceClosed=" + forceClosed
        + ", rollingStatsWindowMillis=" + rollingStatsWindowMillis
        + ", rollingStatsBuckets=" + rollingStatsBuckets
        + ", rollingPercentileEnabled=" + rollingPercentileEnabled
        + ", rollingPercentileWindowMillis=" + rollingPercentileWindowMillis
        + ", rollingPercentileBuckets=" + rollingPercentileBuckets
        + ", healthSnapshotIntervalMillis=" + healthSnapshotIntervalMillis
        + ", requestCacheEnabled=" + requestCacheEnabled
        + ", requestLogEnabled=" + requestLogEnabled + "}";
  }

  /**
   * Collects the values of a {@link CommandConfig}. Each setter checks its value at once and
   * throws an {@link IllegalArgumentException} naming the field and the value; {@link #build()}
   * checks the values that depend on each other. Not thread-safe.
   */
  public static final class Builder {
    private String group = DEFAULT_GROUP;
    private String threadPoolKey;
    private Isolation isolation = DEFAULT_ISOLATION;
    private int timeoutMillis = DEFAULT_TIMEOUT_MILLIS;
    private boolean timeoutEnabled = DEFAULT_TIMEOUT_ENABLED;
    private boolean interruptOnTimeout = DEFAULT_INTERRUPT_ON_TIMEOUT;
    private boolean interruptOnFutureCancel = DEFAULT_INTERRUPT_ON_FUTURE_CANCEL;
    private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
    private int fallbackMaxConcurrentRequests = DEFAULT_FALLBACK_MAX_CONCURRENT_REQUESTS;
    private boolean fallbackEnabled = DEFAULT_FALLBACK_ENABLED;
    private boolean circuitBreakerEnabled = DEFAULT_CIRCUIT_BREAKER_ENABLED;
    private int requestVolumeThreshold = DEFAULT_REQUEST_VOLUME_THRESHOLD;
    private int sleepWindowMillis = DEFAULT_SLEEP_WINDOW_MILLIS;
    private int errorThresholdPercentage = DEFAULT_ERROR_THRESHOLD_PERCENTAGE;
    private boolean forceOpen;
    private boolean forceClosed;
    private int rollingStatsWindowMillis = DEFAULT_ROLLING_STATS_WINDOW_MILLIS;
    private int rollingStatsBuckets = DEFAULT_ROLLING_STATS_BUCKETS;
    private boolean rollingPercentileEnabled = DEFAULT_ROLLING_PERCENTILE_ENABLED;
    private int rollingPercentileWindowMillis = DEFAULT_ROLLING_PERCENTILE_WINDOW_MILLIS;
    private int rollingPercentileBuckets = DEFAULT_ROLLING_PERCENTILE_BUCKETS;
    private int healthSnapshotIntervalMillis = DEFAULT_HEALTH_SNAPSHOT_INTERVAL_MILLIS;
    private boolean requestCacheEnabled = DEFAULT_REQUEST_CACHE_ENABLED;
    private boolean requestLogEnabled = DEFAULT_REQUEST_LOG_ENABLED;

    private Builder() {}

    private Builder(CommandConfig c) {
      group = c.group;
      threadPoolKey = c.threadPoolKey;
      isolation = c.isolation;
      timeoutMillis = c.timeoutMillis;
      timeoutEnabled = c.timeoutEnabled;
      interruptOnTimeout = c.interruptOnTimeout;
      interruptOnFutureCancel = c.interruptOnFutureCancel;
      maxConcurrentRequests = c.maxConcurrentRequests;
      fallbackMaxConcurrentRequests = c.fallbackMaxConcurrentRequests;
      fallbackEnabled = c.fallbackEnabled;
      circuitBreakerEnabled = c.circuitBreakerEnabled;
      requestVolumeThreshold = c.requestVolumeThreshold;
      sleepWindowMillis = c.sleepWindowMillis;
      errorThresholdPercentage = c.errorThresholdPercentage;
      forceOpen = c.forceOpen;
      forceClosed = c.forceClosed;
      rollingStatsWindowMillis = c.rollingStatsWindowMillis;
      rollingStatsBuckets = c.rollingStatsBuckets;
      rollingPercentileEnabled = c.rollingPercentileEnabled;
      rollingPercentileWindowMillis = c.rollingPercentileWindowMillis;
      rollingPercentileBuckets = c.rollingPercentileBuckets;
      healthSnapshotIntervalMillis = c.healthSnapshotIntervalMillis;
      requestCacheEnabled = c.requestCacheEnabled;
      requestLogEnabled = c.requestLogEnabled;
    }

    /** The group (Hystrix's group key); null means the command's name. */
    public Builder group(String group) {
      this.group = optionalKey("group", group);
      return this;
    }

    /** The thread pool key (Hystrix's threadPoolKeyOverride); null means the group. */
    public Builder threadPoolKey(String threadPoolKey) {
      this.threadPoolKey = optionalKey("threadPoolKey", threadPoolKey);
      return this;
    }

    /** Where executions run; {@link Isolation#VIRTUAL} needs Java 21 or newer. */
    public Builder isolation(Isolation isolation) {
      Objects.requireNonNull(isolation, "isolation must not be null");
      if (isolation == Isolation.VIRTUAL && Runtime.version().feature() < 21) {
        throw new IllegalArgumentException("isolation VIRTUAL needs Java 21 or newer, this JVM is "
            + Runtime.version().feature() + "; use THREAD or SEMAPHORE");
      }
      this.isolation = isolation;
      return this;
    }

    /** How long an execution may take (default 1000 ms). */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout must not be null");
      return timeoutMillis(toMillis("timeout", timeout));
    }

    /** How long an execution may take, in milliseconds, at least 1 (default 1000). */
    public Builder timeoutMillis(long millis) {
      this.timeoutMillis = Checks.positive("timeoutMillis", millis);
      return this;
    }

    /** Whether executions are timed at all (default true). */
    public Builder timeoutEnabled(boolean enabled) {
      this.timeoutEnabled = enabled;
      return this;
    }

    /** Whether a timed-out execution's thread is interrupted (default true). */
    public Builder interruptOnTimeout(boolean interrupt) {
      this.interruptOnTimeout = interrupt;
      return this;
    }

    /** Whether cancelling a queued command's future interrupts its thread (default false). */
    public Builder interruptOnFutureCancel(boolean interrupt) {
      this.interruptOnFutureCancel = interrupt;
      return this;
    }

    /** Concurrent executions allowed under semaphore or virtual isolation, at least 1. */
    public Builder maxConcurrentRequests(int max) {
      this.maxConcurrentRequests = Checks.positive("maxConcurrentRequests", max);
      return this;
    }

    /** Concurrent fallbacks allowed, at least 1 (default 10). */
    public Builder fallbackMaxConcurrentRequests(int max) {
      this.fallbackMaxConcurrentRequests = Checks.positive("fallbackMaxConcurrentRequests", max);
      return this;
    }

    /** Whether the fallback runs when the execution does not answer (default true). */
    public Builder fallbackEnabled(boolean enabled) {
      this.fallbackEnabled = enabled;
      return this;
    }

    /** Whether the circuit breaker judges this command at all (default true). */
    public Builder circuitBreakerEnabled(boolean enabled) {
      this.circuitBreakerEnabled = enabled;
      return this;
    }

    /** Requests in the rolling window before the error percentage counts (default 20). */
    public Builder requestVolumeThreshold(int requests) {
      this.requestVolumeThreshold = Checks.nonNegative("requestVolumeThreshold", requests);
      return this;
    }

    /** How long an open circuit refuses calls before one trial (default 5000 ms). */
    public Builder sleepWindow(Duration window) {
      Objects.requireNonNull(window, "sleepWindow must not be null");
      return sleepWindowMillis(toMillis("sleepWindow", window));
    }

    /** {@link #sleepWindow(Duration)} in milliseconds, at least 1. */
    public Builder sleepWindowMillis(long millis) {
      this.sleepWindowMillis = Checks.positive("sleepWindowMillis", millis);
      return this;
    }

    /** The error percentage, 0 to 100, at or above which the circuit opens (default 50). */
    public Builder errorThresholdPercentage(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException(
            "errorThresholdPercentage must be between 0 and 100, was " + percent);
      }
      this.errorThresholdPercentage = percent;
      return this;
    }

    /** Holds the circuit open whatever the health; wins over {@link #forceClosed}. */
    public Builder forceOpen(boolean force) {
      this.forceOpen = force;
      return this;
    }

    /** Holds the circuit closed whatever the health (health is still tracked). */
    public Builder forceClosed(boolean force) {
      this.forceClosed = force;
      return this;
    }

    /** Length of the rolling statistics window (default 10 000 ms). */
    public Builder rollingStatsWindowMillis(long millis) {
      this.rollingStatsWindowMillis = Checks.positive("rollingStatsWindowMillis", millis);
      return this;
    }

    /** Buckets in the rolling statistics window (default 10); must divide the window. */
    public Builder rollingStatsBuckets(int buckets) {
      this.rollingStatsBuckets = Checks.positive("rollingStatsBuckets", buckets);
      return this;
    }

    /** Whether latency percentiles are tracked (default true). */
    public Builder rollingPercentileEnabled(boolean enabled) {
      this.rollingPercentileEnabled = enabled;
      return this;
    }

    /** Length of the latency percentile window (default 60 000 ms). */
    public Builder rollingPercentileWindowMillis(long millis) {
      this.rollingPercentileWindowMillis = Checks.positive("rollingPercentileWindowMillis", millis);
      return this;
    }

    /** Buckets in the latency percentile window (default 6); must divide the window. */
    public Builder rollingPercentileBuckets(int buckets) {
      this.rollingPercentileBuckets = Checks.positive("rollingPercentileBuckets", buckets);
      return this;
    }

    /** How often published health figures are refreshed (default 500 ms). */
    public Builder healthSnapshotIntervalMillis(long millis) {
      this.healthSnapshotIntervalMillis = Checks.positive("healthSnapshotIntervalMillis", millis);
      return this;
    }

    /** Whether answers are cached per request context and cache key (default true). */
    public Builder requestCacheEnabled(boolean enabled) {
      this.requestCacheEnabled = enabled;
      return this;
    }

    /** Whether executions are logged per request context (default true). */
    public Builder requestLogEnabled(boolean enabled) {
      this.requestLogEnabled = enabled;
      return this;
    }

    /** The config; checks that the windows divide into their buckets. */
    public CommandConfig build() {
      Checks.divides("rollingStatsWindowMillis", rollingStatsWindowMillis,
          "rollingStatsBuckets", rollingStatsBuckets);
      Checks.divides("rollingPercentileWindowMillis", rollingPercentileWindowMillis,
          "rollingPercentileBuckets", rollingPercentileBuckets);
      return new CommandConfig(this);
    }

    private static String optionalKey(String field, String value) {
      if (value != null && value.isBlank()) {
        throw new IllegalArgumentException(field + " must not be blank, was '" + value + "'");
      }
      return value;
    }

    private static int toMillis(String field, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + " must be positive, was " + d);
      }
      long millis = d.toMillis();
      if (millis < 1 || millis > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            field + " must be between 1 ms and " + Integer.MAX_VALUE + " ms, was " + d);
      }
      return (int) millis;
    }
  }
}
