package io.breakwater.config;

/**
 * How one request collapser batches: the largest batch, how long it waits for a batch to fill,
 * whether it shares answers through the request cache, and its metrics windows. Immutable; build
 * one with {@link #builder()}.
 *
 * <p>Defaults are Hystrix's: batches of any size ({@code Integer.MAX_VALUE}), a 10 ms timer,
 * request cache on, rolling statistics over 10 s in 10 buckets, latency percentiles over 60 s in
 * 6 buckets. A {@link ConfigurationBinder} resolves these from {@code hystrix.collapser.*} and
 * {@code breakwater.collapser.*} keys; the collapser reads them from
 * {@link ConfigurationBinder#collapserSettings(String)}.
 *
 * <p>The builder is not thread-safe; the built settings are. The builder checks every value and
 * names the field and the value it refuses.
 */
public final class CollapserSettings {

  public static final int DEFAULT_MAX_REQUESTS_IN_BATCH = Integer.MAX_VALUE;
  public static final int DEFAULT_TIMER_DELAY_MILLIS = 10;
  public static final boolean DEFAULT_REQUEST_CACHE_ENABLED = true;
  public static final int DEFAULT_ROLLING_STATS_WINDOW_MILLIS = 10_000;
  public static final int DEFAULT_ROLLING_STATS_BUCKETS = 10;
  public static final boolean DEFAULT_ROLLING_PERCENTILE_ENABLED = true;
  public static final int DEFAULT_ROLLING_PERCENTILE_WINDOW_MILLIS = 60_000;
  public static final int DEFAULT_ROLLING_PERCENTILE_BUCKETS = 6;

  private static final CollapserSettings DEFAULTS = new Builder().build();

  private final int maxRequestsInBatch;
  private final int timerDelayMillis;
  private final boolean requestCacheEnabled;
  private final int rollingStatsWindowMillis;
  private final int rollingStatsBuckets;
  private final boolean rollingPercentileEnabled;
  private final int rollingPercentileWindowMillis;
  private final int rollingPercentileBuckets;

  private CollapserSettings(Builder b) {
    maxRequestsInBatch = b.maxRequestsInBatch;
    timerDelayMillis = b.timerDelayMillis;
    requestCacheEnabled = b.requestCacheEnabled;
    rollingStatsWindowMillis = b.rollingStatsWindowMillis;
    rollingStatsBuckets = b.rollingStatsBuckets;
    rollingPercentileEnabled = b.rollingPercentileEnabled;
    rollingPercentileWindowMillis = b.rollingPercentileWindowMillis;
    rollingPercentileBuckets = b.rollingPercentileBuckets;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static CollapserSettings defaults() {
    return DEFAULTS;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Requests in one batch at most; a full batch runs at once, without waiting for the timer. */
  public int maxRequestsInBatch() {
    return maxRequestsInBatch;
  }

  /** How long requests are collected before their batch runs. */
  public int timerDelayMillis() {
    return timerDelayMillis;
  }

  public boolean requestCacheEnabled() {
    return requestCacheEnabled;
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

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CollapserSettings)) {
      return false;
    }
    CollapserSettings c = (CollapserSettings) o;
    return maxRequestsInBatch == c.maxRequestsInBatch
        && timerDelayMillis == c.timerDelayMillis
        && requestCacheEnabled == c.requestCacheEnabled
        && rollingStatsWindowMillis == c.rollingStatsWindowMillis
        && rollingStatsBuckets == c.rollingStatsBuckets
        && rollingPercentileEnabled == c.rollingPercentileEnabled
        && rollingPercentileWindowMillis == c.rollingPercentileWindowMillis
        && rollingPercentileBuckets == c.rollingPercentileBuckets;
  }

  @Override
  public int hashCode() {
    return (maxRequestsInBatch * 31 + timerDelayMillis) * 31 + rollingStatsWindowMillis;
  }

  @Override
  public String toString() {
    return "CollapserSettings{maxRequestsInBatch=" + maxRequestsInBatch
        + ", timerDelayMillis=" + timerDelayMillis
        + ", requestCacheEnabled=" + requestCacheEnabled
        + ", rollingStatsWindowMillis=" + rollingStatsWindowMillis
        + ", rollingStatsBuckets=" + rollingStatsBuckets
        + ", rollingPercentileEnabled=" + rollingPercentileEnabled
        + ", rollingPercentileWindowMillis=" + rollingPercentileWindowMillis
        + ", rollingPercentileBuckets=" + rollingPercentileBuckets + "}";
  }

  /** Collects and checks the values of {@link CollapserSettings}. Not thread-safe. */
  public static final class Builder {
    private int maxRequestsInBatch = DEFAULT_MAX_REQUESTS_IN_BATCH;
    private int timerDelayMillis = DEFAULT_TIMER_DELAY_MILLIS;
    private boolean requestCacheEnabled = DEFAULT_REQUEST_CACHE_ENABLED;
    private int rollingStatsWindowMillis = DEFAULT_ROLLING_STATS_WINDOW_MILLIS;
    private int rollingStatsBuckets = DEFAULT_ROLLING_STATS_BUCKETS;
    private boolean rollingPercentileEnabled = DEFAULT_ROLLING_PERCENTILE_ENABLED;
    private int rollingPercentileWindowMillis = DEFAULT_ROLLING_PERCENTILE_WINDOW_MILLIS;
    private int rollingPercentileBuckets = DEFAULT_ROLLING_PERCENTILE_BUCKETS;

    private Builder() {}

    private Builder(CollapserSettings c) {
      maxRequestsInBatch = c.maxRequestsInBatch;
      timerDelayMillis = c.timerDelayMillis;
      requestCacheEnabled = c.requestCacheEnabled;
      rollingStatsWindowMillis = c.rollingStatsWindowMillis;
      rollingStatsBuckets = c.rollingStatsBuckets;
      rollingPercentileEnabled = c.rollingPercentileEnabled;
      rollingPercentileWindowMillis = c.rollingPercentileWindowMillis;
      rollingPercentileBuckets = c.rollingPercentileBuckets;
    }

    /** Requests per batch at most, at least 1 (default {@code Integer.MAX_VALUE}). */
    public Builder maxRequestsInBatch(int max) {
      this.maxRequestsInBatch = Checks.positive("maxRequestsInBatch", max);
      return this;
    }

    /** Milliseconds a batch collects requests, at least 1 (default 10). */
    public Builder timerDelayMillis(long millis) {
      this.timerDelayMillis = Checks.positive("timerDelayMillis", millis);
      return this;
    }

    public Builder requestCacheEnabled(boolean enabled) {
      this.requestCacheEnabled = enabled;
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

    public Builder rollingPercentileEnabled(boolean enabled) {
      this.rollingPercentileEnabled = enabled;
      return this;
    }

    public Builder rollingPercentileWindowMillis(long millis) {
      this.rollingPercentileWindowMillis =
          Checks.positive("rollingPercentileWindowMillis", millis);
      return this;
    }

    /** Buckets in the latency percentile window (default 6); must divide the window. */
    public Builder rollingPercentileBuckets(int buckets) {
      this.rollingPercentileBuckets = Checks.positive("rollingPercentileBuckets", buckets);
      return this;
    }

    /** The settings; checks that the windows divide into their buckets. */
    public CollapserSettings build() {
      Checks.divides("rollingStatsWindowMillis", rollingStatsWindowMillis,
          "rollingStatsBuckets", rollingStatsBuckets);
      Checks.divides("rollingPercentileWindowMillis", rollingPercentileWindowMillis,
          "rollingPercentileBuckets", rollingPercentileBuckets);
      return new CollapserSettings(this);
    }
  }
}
