package io.breakwater.stream;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * Splits a response body into UTF-8 lines (without their {@code \n} or {@code \r\n}), refusing
 * a line longer than a limit: an upstream that never ends its line would otherwise make us hold
 * and rescan an ever longer buffer. Over the limit the subscription is cancelled, which ends
 * the exchange, and {@code onTooLong} is told. The JDK client calls it on one thread at a time.
 */
final class LineSplitter implements Flow.Subscriber<List<ByteBuffer>> {

  private final int maxLineBytes;
  private final Consumer<String> lines;
  private final Runnable onTooLong;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private volatile Flow.Subscription subscription;
  private volatile boolean cancelled;

  LineSplitter(int maxLineBytes, Consumer<String> lines, Runnable onTooLong) {
    this.maxLineBytes = maxLineBytes;
    this.lines = lines;
    this.onTooLong = onTooLong;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (cancelled) {
      s.cancel();
    } else {
      s.request(Long.MAX_VALUE);
    }
  }

  /** Stops reading (from any thread); nothing more is passed on. */
  void cancel() {
    cancelled = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    for (ByteBuffer b : buffers) {
      while (b.hasRemaining() && !cancelled) {
        byte c = b.get();
        if (c == '\n') {
          byte[] bytes = line.toByteArray();
          int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r'
              ? bytes.length - 1 : bytes.length;
          line.reset();
          lines.accept(new String(bytes, 0, end, StandardCharsets.UTF_8));
        } else if (line.size() >= maxLineBytes) {
          cancelled = true;
          line.reset();
          subscription.cancel();
          onTooLong.run();
        } else {
          line.write(c);
        }
      }
    }
  }

  @Override
  public void onError(Throwable error) {
    line.reset(); // the exchange's future reports it
  }

  @Override
  public void onComplete() {
    line.reset(); // a last line without its newline is an incomplete message: dropped
  }
}
