package io.breakwater;

import io.breakwater.internal.Checks;

/**
 * How a thread pool shared by thread-isolated commands is sized. Immutable; build one with
 * {@link #builder()}.
 *
 * <p>Defaults are Hystrix's: 10 core threads, maximum equal to core unless
 * {@code allowMaximumSizeToDivergeFromCoreSize}, idle threads above core die after one minute,
 * no queue (a direct hand-off: a call is rejected when every thread is busy), and with a queue a
 * rejection threshold of 5 queued calls.
 *
 * <p>Every size can change at run time, in either direction, without the ordering failure
 * Hystrix had when core grew past maximum.
 */
public final class ThreadPoolConfig {

  public static final int DEFAULT_CORE_SIZE = 10;
  public static final int DEFAULT_MAXIMUM_SIZE = 10;
  public static final boolean DEFAULT_ALLOW_MAXIMUM_SIZE_TO_DIVERGE = false;
  public static final int DEFAULT_KEEP_ALIVE_MINUTES = 1;
  public static final int DEFAULT_MAX_QUEUE_SIZE = -1;
  public static final int DEFAULT_QUEUE_SIZE_REJECTION_THRESHOLD = 5;
  public static final int DEFAULT_ROLLING_STATS_WINDOW_MILLIS = 10_000;
  public static final int DEFAULT_ROLLING_STATS_BUCKETS = 10;

  private static final ThreadPoolConfig DEFAULTS = builder().build();

  private final int coreSize;
  private final int maximumSize;
  private final boolean allowMaximumSizeToDivergeFromCoreSize;
  private final int keepAliveMinutes;
  private final int maxQueueSize;
  private final int queueSizeRejectionThreshold;
  private final int rollingStatsWindowMillis;
  private final int rollingStatsBuckets;

  private ThreadPoolConfig(Builder b) {
    coreSize = b.coreSize;
    maximumSize = b.maximumSize;
    allowMaximumSizeToDivergeFromCoreSize = b.allowMaximumSizeToDivergeFromCoreSize;
    keepAliveMinutes = b.keepAliveMinutes;
    maxQueueSize = b.maxQueueSize;
    queueSizeRejectionThreshold = b.queueSizeRejectionThreshold;
    rollingStatsWindowMillis = b.rollingStatsWindowMillis;
    rollingStatsBuckets = b.rollingStatsBuckets;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static ThreadPoolConfig defaults() {
    return DEFAULTS;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public int coreSize() {
    return coreSize;
  }

  /** The configured maximum, which applies only when allowed to diverge from the core size. */
  public int maximumSize() {
    return maximumSize;
  }

  /** The maximum number of threads actually used: the maximum size or the core size. */
  public int effectiveMaximumSize() {
    return allowMaximumSizeToDivergeFromCoreSize ? maximumSize : coreSize;
  }

  public boolean allowMaximumSizeToDivergeFromCoreSize() {
    return allowMaximumSizeToDivergeFromCoreSize;
  }

  public int keepAliveMinutes() {
    return keepAliveMinutes;
  }

  /** Queue capacity; -1 means no queue (direct hand-off). */
  public int maxQueueSize() {
    return maxQueueSize;
  }

  /** Queued calls at which new calls are rejected; applies only when there is a queue. */
  public int queueSizeRejectionThreshold() {
    return queueSizeRejectionThreshold;
  }

  public int rollingStatsWindowMillis() {
    return rollingStatsWindowMillis;
  }

  public int rollingStatsBuckets() {
    return rollingStatsBuckets;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ThreadPoolConfig)) {
      return false;
    }
    ThreadPoolConfig c = (ThreadPoolConfig) o;
    return coreSize == c.coreSize && maximumSize == c.maximumSize
        && allowMaximumSizeToDivergeFromCoreSize == c.allowMaximumSizeToDivergeFromCoreSize
        && keepAliveMinutes == c.keepAliveMinutes && maxQueueSize == c.maxQueueSize
        && queueSizeRejectionThreshold == c.queueSizeRejectionThreshold
        && rollingStatsWindowMillis == c.rollingStatsWindowMillis
        && rollingStatsBuckets == c.rollingStatsBuckets;
  }

  @Override
  public int hashCode() {
    return ((coreSize * 31 + maximumSize) * 31 + maxQueueSize) * 31
        + queueSizeRejectionThreshold;
  }

  @Override
  public String toString() {
    return "ThreadPoolConfig{coreSize=" + coreSize + ", maximumSize=" + maximumSize
        + ", allowMaximumSizeToDivergeFromCoreSize=" + allowMaximumSizeToDivergeFromCoreSize
        + ", keepAliveMinutes=" + keepAliveMinutes + ", maxQueueSize=" + maxQueueSize
        + ", queueSizeRejectionThreshold=" + queueSizeRejectionThreshold
        + ", rollingStatsWindowMillis=" + rollingStatsWindowMillis
        + ", rollingStatsBuckets=" + rollingStatsBuckets + "}";
  }

  /** Collects and checks the values of a {@link ThreadPoolConfig}. Not thread-safe. */
  public static final class Builder {
    private int coreSize = DEFAULT_CORE_SIZE;
    private int maximumSize = DEFAULT_MAXIMUM_SIZE;
    private boolean allowMaximumSizeToDivergeFromCoreSize = DEFAULT_ALLOW_MAXIMUM_SIZE_TO_DIVERGE;
    private int keepAliveMinutes = DEFAULT_KEEP_ALIVE_MINUTES;
    private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;
    private int queueSizeRejectionThreshold = DEFAULT_QUEUE_SIZE_REJECTION_THRESHOLD;
    private int rollingStatsWindowMillis = DEFAULT_ROLLING_STATS_WINDOW_MILLIS;
    private int rollingStatsBuckets = DEFAULT_ROLLING_STATS_BUCKETS;

    private Builder() {}

    private Builder(ThreadPoolConfig c) {
      coreSize = c.coreSize;
      maximumSize = c.maximumSize;
      allowMaximumSizeToDivergeFromCoreSize = c.allowMaximumSizeToDivergeFromCoreSize;
      keepAliveMinutes = c.keepAliveMinutes;
      maxQueueSize = c.maxQueueSize;
      queueSizeRejectionThreshold = c.queueSizeRejectionThreshold;
      rollingStatsWindowMillis = c.rollingStatsWindowMillis;
      rollingStatsBuckets = c.rollingStatsBuckets;
    }

    /** Threads kept alive even when idle, at least 1 (default 10). */
    public Builder coreSize(int size) {
      this.coreSize = Checks.positive("coreSize", size);
      return this;
    }

    /** Threads allowed under load when diverging from the core size, at least 1. */
    public Builder maximumSize(int size) {
      this.maximumSize = Checks.positive("maximumSize", size);
      return this;
    }

    public Builder allowMaximumSizeToDivergeFromCoreSize(boolean allow) {
      this.allowMaximumSizeToDivergeFromCoreSize = allow;
      return this;
    }

    /** Minutes an idle thread above the core size lives, 0 or more (default 1). */
    public Builder keepAliveMinutes(int minutes) {
      this.keepAliveMinutes = Checks.nonNegative("keepAliveMinutes", minutes);
      return this;
    }

    /** Queue capacity, -1 for none (a direct hand-off) or at least 1. */
    public Builder maxQueueSize(int size) {
      if (size == 0 || size < -1) {
        throw new IllegalArgumentException(
            "maxQueueSize must be -1 (no queue) or at least 1, was " + size);
      }
      this.maxQueueSize = size;
      return this;
    }

    /** Queued calls at which calls are rejected, 0 or more (default 5). */
    public Builder queueSizeRejectionThreshold(int threshold) {
      this.queueSizeRejectionThreshold =
          Checks.nonNegative("queueSizeRejectionThreshold", threshold);
      return this;
    }

    public Builder rollingStatsWindowMillis(long millis) {
      this.rollingStatsWindowMillis =
          Checks.positive("rollingStatsWindowMillis", millis);
      return this;
    }

    public Builder rollingStatsBuckets(int buckets) {
      this.rollingStatsBuckets = Checks.positive("rollingStatsBuckets", buckets);
      return this;
    }

    /** The config; refuses a maximum below the core size when the two may diverge. */
    public ThreadPoolConfig build() {
      if (allowMaximumSizeToDivergeFromCoreSize && maximumSize < coreSize) {
        throw new IllegalArgumentException("maximumSize (" + maximumSize
            + ") must be at least coreSize (" + coreSize
            + ") when allowMaximumSizeToDivergeFromCoreSize is true");
      }
      Checks.divides("rollingStatsWindowMillis", rollingStatsWindowMillis,
          "rollingStatsBuckets", rollingStatsBuckets);
      return new ThreadPoolConfig(this);
    }
  }
}
