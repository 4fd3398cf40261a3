package io.breakwater.stream;

import io.breakwater.metrics.CollapserSnapshot;
import java.util.Objects;

/**
 * One request collapser at one moment, in the terms of Hystrix's {@code HystrixCollapser} stream
 * message: requests added to batches and batches run over the rolling window, cache hits, the
 * batch size distribution and the collapser's settings.
 *
 * <p>The runtime's own collapsers are reported from their snapshots ({@link #of}); a program that
 * batches requests by other means can report its collapsers too, through
 * {@link BreakwaterServer.Builder#collapsers}.
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

  /** The figures of one of the runtime's collapsers. */
  public static CollapserFigures of(CollapserSnapshot s) {
    int[] percentiles = new int[PERCENTILES.length];
    for (int i = 0; i < PERCENTILES.length; i++) {
      percentiles[i] = (int) Math.min(Integer.MAX_VALUE, s.batchSizePercentile(PERCENTILES[i]));
    }
    return new CollapserFigures(s.name(), s.timeMillis(), s.rollingCountRequestsBatched(),
        s.rollingCountBatches(), s.rollingCountResponsesFromCache(),
        (int) Math.min(Integer.MAX_VALUE, s.batchSizeMean()), percentiles,
        s.config().requestCacheEnabled(), s.config().maxRequestsInBatch(),
        s.config().timerDelayMillis());
  }

  @Override
  public int[] batchSizePercentiles() {
    return batchSizePercentiles.clone();
  }
}
