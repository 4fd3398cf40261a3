package io.breakwater.collapse;

import io.breakwater.CommandConfig;

/**
 * How a collapser batches: how long it waits for more requests, how many one batch may hold,
 * whether it is per request or global, whether answers are cached per request. Immutable.
 *
 * <p>Defaults are Hystrix's: a 10 ms window, no limit on batch size, request scope, request
 * cache on, rolling statistics over 10 s in 10 buckets and batch-size percentiles over 60 s in
 * 6 buckets.
 */
public final class CollapserConfig {

  public static final int DEFAULT_MAX_REQUESTS_IN_BATCH = Integer.MAX_VALUE;
  public static final int DEFAULT_TIMER_DELAY_MILLIS = 10;
  public static final boolean DEFAULT_REQUEST_CACHE_ENABLED = true;
  public static final Scope DEFAULT_SCOPE = Scope.REQUEST;

  private static final CollapserConfig DEFAULTS = builder().build();

  /** Which callers share batches. */
  public enum Scope {
    /** Callers within one {@link io.breakwater.context.RequestContext}. */
    REQUEST,
    /** Every caller in the runtime. */
    GLOBAL
  }

  private final int maxRequestsInBatch;
  private final int timerDelayMillis;
  private final boolean requestCacheEnabled;
  private final Scope scope;
  private final int rollingStatsWindowMillis;
  private final int rollingStatsBuckets;
  private final int rollingPercentileWindowMillis;
  private final int rollingPercentileBuckets;

  private CollapserConfig(Builder b) {
    maxRequestsInBatch = b.maxRequestsInBatch;
    timerDelayMillis = b.timerDelayMillis;
    requestCacheEnabled = b.requestCacheEnabled;
    scope = b.scope;
    rollingStatsWindowMillis = b.rollingStatsWindowMillis;
    rollingStatsBuckets = b.rollingStatsBuckets;
    rollingPercentileWindowMillis = b.rollingPercentileWindowMillis;
    rollingPercentileBuckets = b.rollingPercentileBuckets;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static CollapserConfig defaults() {
    return DEFAULTS;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public int maxRequestsInBatch() {
    return maxRequestsInBatch;
  }

  public int timerDelayMillis() {
    return timerDelayMillis;
  }

  public boolean requestCacheEnabled() {
    return requestCacheEnabled;
  }

  public Scope scope() {
    return scope;
  }

  public int rollingStatsWindowMillis() {
    return rollingStatsWindowMillis;
  }

  public int rollingStatsBuckets() {
    return rollingStatsBuckets;
  }

  public int rollingPercentileWindowMillis() {
    return rollingPercentileWindowMillis;
  }

  public int rollingPercentileBuckets() {
    return rollingPercentileBuckets;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CollapserConfig)) {
      return false;
    }
    CollapserConfig c = (CollapserConfig) o;
    return maxRequestsInBatch == c.maxRequestsInBatch && timerDelayMillis == c.timerDelayMillis
        && requestCacheEnabled == c.requestCacheEnabled && scope == c.scope
        && rollingStatsWindowMillis == c.rollingStatsWindowMillis
        && rollingStatsBuckets == c.rollingStatsBuckets
        && rollingPercentileWindowMillis == c.rollingPercentileWindowMillis
        && rollingPercentileBuckets == c.rollingPercentileBuckets;
  }

  @Override
  public int hashCode() {
    return (maxRequestsInBatch * 31 + timerDelayMillis) * 31 + scope.hashCode();
  }

  @Override
  public String toString() {
    return "CollapserConfig{maxRequestsInBatch=" + maxRequestsInBatch + ", timerDelayMillis="
        + timerDelayMillis + ", requestCacheEnabled=" + requestCacheEnabled + ", scope=" + scope
        + ", rollingStatsWindowMillis=" + rollingStatsWindowMillis + ", rollingStatsBuckets="
        + rollingStatsBuckets + ", rollingPercentileWindowMillis="
        + rollingPercentileWindowMillis + ", rollingPercentileBuckets="
        + rollingPercentileBuckets + "}";
  }

  /** Collects and checks the values of a {@link CollapserConfig}. Not thread-safe. */
  public static final class Builder {
    private int maxRequestsInBatch = DEFAULT_MAX_REQUESTS_IN_BATCH;
    private int timerDelayMillis = DEFAULT_TIMER_DELAY_MILLIS;
    private boolean requestCacheEnabled = DEFAULT_REQUEST_CACHE_ENABLED;
    private Scope scope = DEFAULT_SCOPE;
    private int rollingStatsWindowMillis = CommandConfig.DEFAULT_ROLLING_STATS_WINDOW_MILLIS;
    private int rollingStatsBuckets = CommandConfig.DEFAULT_ROLLING_STATS_BUCKETS;
    private int rollingPercentileWindowMillis =
        CommandConfig.DEFAULT_ROLLING_PERCENTILE_WINDOW_MILLIS;
    private int rollingPercentileBuckets = CommandConfig.DEFAULT_ROLLING_PERCENTILE_BUCKETS;

    private Builder() {}

    private Builder(CollapserConfig c) {
      maxRequestsInBatch = c.maxRequestsInBatch;
      timerDelayMillis = c.timerDelayMillis;
      requestCacheEnabled = c.requestCacheEnabled;
      scope = c.scope;
      rollingStatsWindowMillis = c.rollingStatsWindowMillis;
      rollingStatsBuckets = c.rollingStatsBuckets;
      rollingPercentileWindowMillis = c.rollingPercentileWindowMillis;
      rollingPercentileBuckets = c.rollingPercentileBuckets;
    }

    /** The most requests in one batch, at least 1 (default unlimited). */
    public Builder maxRequestsInBatch(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxRequestsInBatch must be at least 1, was " + max);
      }
      this.maxRequestsInBatch = max;
      return this;
    }

    /** How long a batch collects requests before it runs, at least 1 ms (default 10). */
    public Builder timerDelayMillis(int millis) {
      if (millis < 1) {
        throw new IllegalArgumentException("timerDelayMillis must be at least 1, was " + millis);
      }
      this.timerDelayMillis = millis;
      return this;
    }

    public Builder requestCacheEnabled(boolean enabled) {
      this.requestCacheEnabled = enabled;
      return this;
    }

    public Builder scope(Scope scope) {
      this.scope = java.util.Objects.requireNonNull(scope, "scope must not be null");
      return this;
    }

    public Builder rollingStatsWindowMillis(int millis) {
      this.rollingStatsWindowMillis = atLeastOne("rollingStatsWindowMillis", millis);
      return this;
    }

    public Builder rollingStatsBuckets(int buckets) {
      this.rollingStatsBuckets = atLeastOne("rollingStatsBuckets", buckets);
      return this;
    }

    public Builder rollingPercentileWindowMillis(int millis) {
      this.rollingPercentileWindowMillis = atLeastOne("rollingPercentileWindowMillis", millis);
      return this;
    }

    public Builder rollingPercentileBuckets(int buckets) {
      this.rollingPercentileBuckets = atLeastOne("rollingPercentileBuckets", buckets);
      return this;
    }

    public CollapserConfig build() {
      if (rollingStatsWindowMillis % rollingStatsBuckets != 0) {
        throw new IllegalArgumentException("rollingStatsBuckets (" + rollingStatsBuckets
            + ") must divide rollingStatsWindowMillis (" + rollingStatsWindowMillis + ")");
      }
      if (rollingPercentileWindowMillis % rollingPercentileBuckets != 0) {
        throw new IllegalArgumentException("rollingPercentileBuckets ("
            + rollingPercentileBuckets + ") must divide rollingPercentileWindowMillis ("
            + rollingPercentileWindowMillis + ")");
      }
      return new CollapserConfig(this);
    }

    private static int atLeastOne(String field, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(field + " must be at least 1, was " + value);
      }
      return value;
    }
  }
}
