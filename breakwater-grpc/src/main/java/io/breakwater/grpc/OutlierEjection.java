package io.breakwater.grpc;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * When the instance balancer takes an instance out of rotation, and for how long.
 *
 * <p>An instance whose calls fail {@link #consecutiveFailures} times in a row is ejected for
 * {@link #baseEjectionTime} times the number of times it has been ejected, at most {@link
 * #maxEjectionTime}, then comes back. Never more than {@link #maxEjectionPercent} of a channel's
 * instances (rounded down) are ejected at once, and never the last one: a balancer that ejected
 * everything would turn a partial outage into a full one. The ejection count decays: it drops by
 * one for every base ejection time the instance spends back in rotation, so an instance that
 * failed once last week is not punished for it today.
 *
 * <p>Defaults: 5 consecutive failures, 30 s base time, 300 s maximum, 50 %. In a gRPC service
 * config the same settings read:
 *
 * <pre>{@code
 * {"loadBalancingConfig": [{"breakwater_p2c": {"consecutiveFailures": 5,
 *     "baseEjectionTime": "30s", "maxEjectionTime": "300s", "maxEjectionPercent": 50}}]}
 * }</pre>
 *
 * <p>Immutable; the builder is not thread-safe and names the bad field in its errors.
 */
public final class OutlierEjection {

  /** Failures in a row that eject an instance: {@value}. */
  public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
  /** The ejection time of a first ejection: 30 s. */
  public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);
  /** The longest ejection, however often an instance was ejected: 300 s. */
  public static final Duration DEFAULT_MAX_EJECTION_TIME = Duration.ofSeconds(300);
  /** The largest share of instances ejected at once: {@value} %. */
  public static final int DEFAULT_MAX_EJECTION_PERCENT = 50;

  static final String CONSECUTIVE_FAILURES = "consecutiveFailures";
  static final String BASE_EJECTION_TIME = "baseEjectionTime";
  static final String MAX_EJECTION_TIME = "maxEjectionTime";
  static final String MAX_EJECTION_PERCENT = "maxEjectionPercent";
  private static final Set<String> KEYS = Set.of(
      CONSECUTIVE_FAILURES, BASE_EJECTION_TIME, MAX_EJECTION_TIME, MAX_EJECTION_PERCENT);

  private static final OutlierEjection DEFAULTS = builder().build();

  private final int consecutiveFailures;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final int maxEjectionPercent;

  private OutlierEjection(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectionPercent = b.maxEjectionPercent;
  }

  /** The defaults: 5 failures, 30 s, 300 s, 50 %. */
  public static OutlierEjection defaults() {
    return DEFAULTS;
  }

  /** Balancing without ejection: every ready instance stays in rotation. */
  public static OutlierEjection disabled() {
    return builder().consecutiveFailures(0).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .consecutiveFailures(consecutiveFailures)
        .baseEjectionTime(baseEjectionTime)
        .maxEjectionTime(maxEjectionTime)
        .maxEjectionPercent(maxEjectionPercent);
  }

  /** Failures in a row that eject an instance; 0 when ejection is off. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  public boolean enabled() {
    return consecutiveFailures > 0 && maxEjectionPercent > 0;
  }

  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /**
   * How many of {@code instances} may be ejected at once: the percentage rounded down, and
   * always one fewer than all of them.
   */
  public int maxEjected(int instances) {
    if (instances <= 1) {
      return 0;
    }
    int byPercent = (int) ((long) instances * maxEjectionPercent / 100);
    return Math.min(byPercent, instances - 1);
  }

  /** How long the {@code ejectionCount}-th ejection (1 for the first) lasts. */
  public Duration ejectionTime(int ejectionCount) {
    long base = baseEjectionTime.toNanos();
    long max = Math.max(base, maxEjectionTime.toNanos());
    long count = Math.max(1, ejectionCount);
    // Compared by division first: base * count may not fit in a long.
    return Duration.ofNanos(count > max / base ? max : Math.min(max, base * count));
  }

  /** This configuration as the JSON object of a gRPC service config's policy entry. */
  public Map<String, Object> toServiceConfig() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(CONSECUTIVE_FAILURES, (double) consecutiveFailures);
    json.put(BASE_EJECTION_TIME, jsonDuration(baseEjectionTime));
    json.put(MAX_EJECTION_TIME, jsonDuration(maxEjectionTime));
    json.put(MAX_EJECTION_PERCENT, (double) maxEjectionPercent);
    return json;
  }

  /**
   * Reads a service config's policy entry; missing keys keep their defaults.
   *
   * @throws IllegalArgumentException naming the key and value that are wrong, or an unknown key
   */
  public static OutlierEjection fromServiceConfig(Map<String, ?> json) {
    Builder b = builder();
    if (json == null) {
      return b.build();
    }
    for (Map.Entry<String, ?> e : json.entrySet()) {
      String key = e.getKey();
      Object value = e.getValue();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown key '" + key + "' in the balancer's config; "
            + "known keys: " + CONSECUTIVE_FAILURES + ", " + BASE_EJECTION_TIME + ", "
            + MAX_EJECTION_TIME + ", " + MAX_EJECTION_PERCENT);
      }
      switch (key) {
        case CONSECUTIVE_FAILURES:
          b.consecutiveFailures(wholeNumber(key, value));
          break;
        case MAX_EJECTION_PERCENT:
          b.maxEjectionPercent(wholeNumber(key, value));
          break;
        case BASE_EJECTION_TIME:
          b.baseEjectionTime(duration(key, value));
          break;
        case MAX_EJECTION_TIME:
        default:
          b.maxEjectionTime(duration(key, value));
          break;
      }
    }
    return b.build();
  }

  private static int wholeNumber(String key, Object value) {
    if (value instanceof Number) {
      double d = ((Number) value).doubleValue();
      if (d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number, was " + describe(value));
  }

  /** A protobuf JSON duration: decimal seconds followed by 's', for example "30s" or "0.5s". */
  private static Duration duration(String key, Object value) {
    if (value instanceof String) {
      String text = (String) value;
      if (text.endsWith("s") && text.length() > 1) {
        try {
          BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - 1));
          if (seconds.signum() >= 0 && seconds.scale() <= 9
              && seconds.compareTo(BigDecimal.valueOf(315_576_000_000L)) <= 0) {
            return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
          }
        } catch (NumberFormatException | ArithmeticException e) {
          // reported below with the value
        }
      }
    }
    throw new IllegalArgumentException(key + " must be a duration such as \"30s\" or \"0.5s\", "
        + "was " + describe(value));
  }

  private static String describe(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  private static String jsonDuration(Duration d) {
    return BigDecimal.valueOf(d.toNanos()).movePointLeft(9).stripTrailingZeros().toPlainString()
        + "s";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof OutlierEjection)) {
      return false;
    }
    OutlierEjection other = (OutlierEjection) o;
    return consecutiveFailures == other.consecutiveFailures
        && maxEjectionPercent == other.maxEjectionPercent
        && baseEjectionTime.equals(other.baseEjectionTime)
        && maxEjectionTime.equals(other.maxEjectionTime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(consecutiveFailures, baseEjectionTime, maxEjectionTime,
        maxEjectionPercent);
  }

  @Override
  public String toString() {
    return "OutlierEjection{consecutiveFailures=" + consecutiveFailures + ", baseEjectionTime="
        + baseEjectionTime + ", maxEjectionTime=" + maxEjectionTime + ", maxEjectionPercent="
        + maxEjectionPercent + "}";
  }

  /** Builds an {@link OutlierEjection}; each setter checks its value and names it in errors. */
  public static final class Builder {
    private int consecutiveFailures = DEFAULT_CONSECUTIVE_FAILURES;
    private Duration baseEjectionTime = DEFAULT_BASE_EJECTION_TIME;
    private Duration maxEjectionTime = DEFAULT_MAX_EJECTION_TIME;
    private int maxEjectionPercent = DEFAULT_MAX_EJECTION_PERCENT;

    private Builder() {}

    /** Failures in a row that eject an instance, 0 (ejection off) or more; default 5. */
    public Builder consecutiveFailures(int failures) {
      if (failures < 0) {
        throw new IllegalArgumentException(
            CONSECUTIVE_FAILURES + " must be 0 (off) or more, was " + failures);
      }
      this.consecutiveFailures = failures;
      return this;
    }

    /** The length of a first ejection, more than zero; default 30 s. */
    public Builder baseEjectionTime(Duration time) {
      this.baseEjectionTime = positive(BASE_EJECTION_TIME, time);
      return this;
    }

    /** The longest ejection; default 300 s. Shorter than the base time means the base time. */
    public Builder maxEjectionTime(Duration time) {
      this.maxEjectionTime = positive(MAX_EJECTION_TIME, time);
      return this;
    }

    /** The largest share of instances ejected at once, 0 to 100; default 50. */
    public Builder maxEjectionPercent(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException(
            MAX_EJECTION_PERCENT + " must be between 0 and 100, was " + percent);
      }
      this.maxEjectionPercent = percent;
      return this;
    }

    public OutlierEjection build() {
      return new OutlierEjection(this);
    }

    private static Duration positive(String field, Duration d) {
      Objects.requireNonNull(d, () -> field + " must not be null");
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + " must be more than zero, was " + d);
      }
      return d;
    }
  }
}
