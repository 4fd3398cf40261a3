package io.breakwater.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One reader of a stream. The sampler thread {@link #offer offers} each tick to a small bounded
 * queue and never waits; this connection's own HTTP thread takes ticks off the queue and writes
 * them. A reader that falls behind fills its queue, and from then on the oldest waiting tick is
 * dropped for each new one: the reader sees fresh figures with gaps, and neither the sampler,
 * the other readers nor any command ever waits for it.
 */
final class StreamConnection {

  /** Put in the queue to wake the writer when the connection is closed from outside. */
  private static final byte[] CLOSE = new byte[0];

  /**
   * A ping at least this often between ticks: a reader that left is noticed within a second or
   * two and frees its slot, however slow the stream it asked for.
   */
  private static final long KEEP_ALIVE_MILLIS = 1000;

  private final ArrayBlockingQueue<byte[]> queue;
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean closed;

  StreamConnection(int queueCapacity) {
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
  }

  /**
   * Queues a tick for writing. Only the sampler thread calls this, so dropping the oldest and
   * retrying cannot loop for long: the writer can only make room.
   */
  void offer(byte[] tick) {
    if (closed) {
      return;
    }
    while (!queue.offer(tick)) {
      if (queue.poll() != null) {
        dropped.incrementAndGet();
      }
    }
  }

  /** Ticks dropped because this reader was behind. */
  long dropped() {
    return dropped.get();
  }

  boolean isClosed() {
    return closed;
  }

  /** Makes {@link #writeUntilClosed} return after its current write. */
  void close() {
    closed = true;
    queue.clear();
    queue.offer(CLOSE);
  }

  /**
   * Writes ticks until the connection is closed or the reader goes away (the write fails). An
   * empty tick, or none for a keep-alive interval, writes a ping so that a reader that left is
   * noticed and an idle proxy does not cut the stream.
   */
  void writeUntilClosed(OutputStream out) throws IOException, InterruptedException {
    while (!closed) {
      byte[] tick = queue.poll(KEEP_ALIVE_MILLIS, TimeUnit.MILLISECONDS);
      if (closed || tick == CLOSE) {
        return;
      }
      out.write(tick == null || tick.length == 0 ? Sse.PING : tick);
      out.flush();
    }
  }
}
