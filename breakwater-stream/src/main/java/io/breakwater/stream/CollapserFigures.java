package io.breakwater.stream;

import java.util.Objects;

/**
 * One request collapser at one moment, in the terms of Hystrix's {@code HystrixCollapser} stream
 * message: requests added to batches and batches run over the rolling window, cache hits, the
 * batch size distribution and the collapser's settings.
 *
 * <p>Core has no collapser snapshot yet; a program that batches requests itself can report its
 * collapsers through {@link BreakwaterServer.Builder#collapsers}. When core gains one, mapping it
 * to this record is the only code to add.
 *
 * @param name the collapser key
 * @param timeMillis wall-clock time of the figures
 * @param rollingCountRequestsBatched requests added to a batch in the rolling window
 * @param rollingCountBatches batches executed in the rolling window
 * @param rollingCountResponsesFromCache requests answered from the request cache
 * @param batchSizeMean the mean batch size over the percentile window
 * @param batchSizePercentiles batch sizes at {@link #PERCENTILES}, in that order
 * @param requestCacheEnabled whether the collapser uses the request cache
 * @param maxRequestsInBatch the most requests one batch takes
 * @param timerDelayMillis how long a batch waits for more requests
 */
public record CollapserFigures(
    String name,
    long timeMillis,
    long rollingCountRequestsBatched,
    long rollingCountBatches,
    long rollingCountResponsesFromCache,
    int batchSizeMean,
    int[] batchSizePercentiles,
    boolean requestCacheEnabled,
    int maxRequestsInBatch,
    int timerDelayMillis) {

  /** The batch size percentiles the Hystrix message carries (it has no 0th). */
  public static final double[] PERCENTILES = {25, 50, 75, 90, 95, 99, 99.5, 100};

  public CollapserFigures {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(batchSizePercentiles, "batchSizePercentiles must not be null");
    if (batchSizePercentiles.length != PERCENTILES.length) {
      throw new IllegalArgumentException("batchSizePercentiles needs " + PERCENTILES.length
          + " values (25, 50, 75, 90, 95, 99, 99.5, 100), got " + batchSizePercentiles.length);
    }
    batchSizePercentiles = batchSizePercentiles.clone();
  }

  @Override
  public int[] batchSizePercentiles() {
    return batchSizePercentiles.clone();
  }
}
