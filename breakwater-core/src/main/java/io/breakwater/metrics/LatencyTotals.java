package io.breakwater.metrics;

/**
 * How many latencies were measured since a command was first used, and their sum: what a
 * monotonic timer (Micrometer's {@code FunctionTimer}, Prometheus' {@code _count} and
 * {@code _sum}) needs. The sum is taken from the same buckets as the percentiles, each latency
 * counted at the middle of its bucket, so it is within 1.6 % of the true sum.
 *
 * @param count latencies measured
 * @param totalMicros their sum, in microseconds
 */
public record LatencyTotals(long count, long totalMicros) {

  public static final LatencyTotals EMPTY = new LatencyTotals(0, 0);
}
