package io.breakwater.config;

import io.breakwater.internal.Checks;

/**
 * How the metrics event stream publishes: how often it sends command and thread-pool figures,
 * utilization and configuration, and how many clients it serves at once. Immutable; build one
 * with {@link #builder()}.
 *
 * <p>Defaults are Hystrix's: figures every 500 ms, utilization every 500 ms, configuration every
 * 5000 ms, at most 5 concurrent connections. Hystrix read the last one from the confusingly
 * named {@code hystrix.config.stream.maxConcurrentConnections} for every stream; Breakwater
 * accepts that key and its own {@code breakwater.stream.maxConcurrentConnections}. The stream
 * module reads these from {@link ConfigurationBinder#streamSettings()}.
 *
 * <p>The builder is not thread-safe; the built settings are.
 */
public final class StreamSettings {

  public static final int DEFAULT_DASHBOARD_INTERVAL_MILLIS = 500;
  public static final int DEFAULT_UTILIZATION_INTERVAL_MILLIS = 500;
  public static final int DEFAULT_CONFIG_INTERVAL_MILLIS = 5000;
  /** Hystrix allowed 5; a dashboard, Turbine and a metrics scraper or two need more. */
  public static final int DEFAULT_MAX_CONCURRENT_CONNECTIONS = 10;

  private static final StreamSettings DEFAULTS = new Builder().build();

  private final int dashboardIntervalMillis;
  private final int utilizationIntervalMillis;
  private final int configIntervalMillis;
  private final int maxConcurrentConnections;

  private StreamSettings(Builder b) {
    dashboardIntervalMillis = b.dashboardIntervalMillis;
    utilizationIntervalMillis = b.utilizationIntervalMillis;
    configIntervalMillis = b.configIntervalMillis;
    maxConcurrentConnections = b.maxConcurrentConnections;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static StreamSettings defaults() {
    return DEFAULTS;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** How often command and thread-pool figures are sent. */
  public int dashboardIntervalMillis() {
    return dashboardIntervalMillis;
  }

  public int utilizationIntervalMillis() {
    return utilizationIntervalMillis;
  }

  public int configIntervalMillis() {
    return configIntervalMillis;
  }

  /** Clients served at once; one more is refused. */
  public int maxConcurrentConnections() {
    return maxConcurrentConnections;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof StreamSettings)) {
      return false;
    }
    StreamSettings s = (StreamSettings) o;
    return dashboardIntervalMillis == s.dashboardIntervalMillis
        && utilizationIntervalMillis == s.utilizationIntervalMillis
        && configIntervalMillis == s.configIntervalMillis
        && maxConcurrentConnections == s.maxConcurrentConnections;
  }

  @Override
  public int hashCode() {
    return ((dashboardIntervalMillis * 31 + utilizationIntervalMillis) * 31
        + configIntervalMillis) * 31 + maxConcurrentConnections;
  }

  @Override
  public String toString() {
    return "StreamSettings{dashboardIntervalMillis=" + dashboardIntervalMillis
        + ", utilizationIntervalMillis=" + utilizationIntervalMillis
        + ", configIntervalMillis=" + configIntervalMillis
        + ", maxConcurrentConnections=" + maxConcurrentConnections + "}";
  }

  /** Collects and checks the values of {@link StreamSettings}. Not thread-safe. */
  public static final class Builder {
    private int dashboardIntervalMillis = DEFAULT_DASHBOARD_INTERVAL_MILLIS;
    private int utilizationIntervalMillis = DEFAULT_UTILIZATION_INTERVAL_MILLIS;
    private int configIntervalMillis = DEFAULT_CONFIG_INTERVAL_MILLIS;
    private int maxConcurrentConnections = DEFAULT_MAX_CONCURRENT_CONNECTIONS;

    private Builder() {}

    private Builder(StreamSettings s) {
      dashboardIntervalMillis = s.dashboardIntervalMillis;
      utilizationIntervalMillis = s.utilizationIntervalMillis;
      configIntervalMillis = s.configIntervalMillis;
      maxConcurrentConnections = s.maxConcurrentConnections;
    }

    public Builder dashboardIntervalMillis(long millis) {
      this.dashboardIntervalMillis = Checks.positive("dashboardIntervalMillis", millis);
      return this;
    }

    public Builder utilizationIntervalMillis(long millis) {
      this.utilizationIntervalMillis = Checks.positive("utilizationIntervalMillis", millis);
      return this;
    }

    public Builder configIntervalMillis(long millis) {
      this.configIntervalMillis = Checks.positive("configIntervalMillis", millis);
      return this;
    }

    public Builder maxConcurrentConnections(int max) {
      this.maxConcurrentConnections = Checks.positive("maxConcurrentConnections", max);
      return this;
    }

    public StreamSettings build() {
      return new StreamSettings(this);
    }
  }
}
