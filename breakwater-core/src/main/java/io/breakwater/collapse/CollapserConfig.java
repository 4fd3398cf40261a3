package io.breakwater.collapse;

import io.breakwater.CommandConfig;
import io.breakwater.internal.Checks;

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
  private final boolean rollingPercentileEnabled;
  private final int rollingPercentileWindowMillis;
  private final int rollingPercentileBuckets;

  private CollapserConfig(Builder b) {
    maxRequestsInBatch = b.maxRequestsInBatch;
    timerDelayMillis = b.timerDelayMillis;
    requestCacheEnabled = b.requestCacheEnabled;
    scope = b.scope;
    rollingStatsWindowMillis = b.rollingStatsWindowMillis;
    rollingStatsBuckets = b.rollingStatsBuckets;
    rollingPercentileEnabled = b.rollingPercentileEnabled;
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

  /** Whether batch-size percentiles are tracked (default true). */
  public boolean rollingPercentileEnabled() {
    return rollingPercentileEnabled;
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
        && rollingPercentileEnabled == c.rollingPercentileEnabled
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
        + rollingStatsBuckets + ", rollingPercentileEnabled=" + rollingPercentileEnabled
        + ", rollingPercentileWindowMillis="
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
    private boolean rollingPercentileEnabled = CommandConfig.DEFAULT_ROLLING_PERCENTILE_ENABLED;
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
      rollingPercentileEnabled = c.rollingPercentileEnabled;
      rollingPercentileWindowMillis = c.rollingPercentileWindowMillis;
      rollingPercentileBuckets = c.rollingPercentileBuckets;
    }

    /** The most requests in one batch, at least 1 (default unlimited). */
    public Builder maxRequestsInBatch(int max) {
      this.maxRequestsInBatch = Checks.positive("maxRequestsInBatch", max);
      return this;
    }

    /** How long a batch collects requests before it runs, at least 1 ms (default 10). */
    public Builder timerDelayMillis(long millis) {
      this.timerDelayMillis = Checks.positive("timerDelayMillis", millis);
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

    public Builder rollingStatsWindowMillis(long millis) {
      this.rollingStatsWindowMillis = Checks.positive("rollingStatsWindowMillis", millis);
      return this;
    }

    /** Buckets in the rolling statistics window (default 10); must divide the window. */
    public Builder rollingStatsBuckets(int buckets) {
      this.rollingStatsBuckets = Checks.positive("rollingStatsBuckets", buckets);
      return this;
    }

    /** Whether batch-size percentiles are tracked (default true). */
    public Builder rollingPercentileEnabled(boolean enabled) {
      this.rollingPercentileEnabled = enabled;
      return this;
    }

    public Builder rollingPercentileWindowMillis(long millis) {
      this.rollingPercentileWindowMillis = Checks.positive("rollingPercentileWindowMillis", millis);
      return this;
    }

    /** Buckets in the batch-size percentile window (default 6); must divide the window. */
    public Builder rollingPercentileBuckets(int buckets) {
      this.rollingPercentileBuckets = Checks.positive("rollingPercentileBuckets", buckets);
      return this;
    }

    /** The config; checks that the windows divide into their buckets. */
    public CollapserConfig build() {
      Checks.divides("rollingStatsWindowMillis", rollingStatsWindowMillis,
          "rollingStatsBuckets", rollingStatsBuckets);
      Checks.divides("rollingPercentileWindowMillis", rollingPercentileWindowMillis,
          "rollingPercentileBuckets", rollingPercentileBuckets);
      return new CollapserConfig(this);
    }
  }
}
