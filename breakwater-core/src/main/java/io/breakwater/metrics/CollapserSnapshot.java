package io.breakwater.metrics;

import io.breakwater.collapse.CollapserConfig;

/**
 * One collapser at one moment: requests batched, batches run and answers served from the
 * request cache over the rolling window, and the distribution of batch sizes over the
 * percentile window (in {@link #batchSize()}, values are request counts, not microseconds).
 */
public record CollapserSnapshot(
    String name,
    long timeMillis,
    long rollingCountRequestsBatched,
    long rollingCountBatches,
    long rollingCountResponsesFromCache,
    long cumulativeCountRequestsBatched,
    long cumulativeCountBatches,
    LatencySnapshot batchSize,
    CollapserConfig config) {

  /** Mean requests per batch over the percentile window. */
  public long batchSizeMean() {
    return batchSize.meanMicros();
  }

  /** Batch size at one of {@link LatencySnapshot#PERCENTILES}. */
  public long batchSizePercentile(double percentile) {
    return batchSize.percentileMicros(percentile);
  }
}
