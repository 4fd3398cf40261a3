package io.breakwater.stream;

/**
 * A source of stream ticks: this process's own metrics, or a fleet's merged ones. The sampler
 * thread calls {@link #tick()} once per tick and hands the same bytes to every connection
 * watching this feed at that pace, so the cost of a tick does not grow with the readers.
 */
interface Feed {

  /**
   * Every message of this tick, each framed as one SSE event ({@code data: {json}} and a blank
   * line), concatenated; empty when there is nothing to report.
   */
  byte[] tick();

  /** Called when the first connection starts watching. */
  default void activate() {}

  /** Called when the last connection stopped watching. */
  default void deactivate() {}
}
