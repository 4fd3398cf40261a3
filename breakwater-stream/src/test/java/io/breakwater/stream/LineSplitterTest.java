package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

  private final List<String> lines = new ArrayList<>();
  private final AtomicInteger tooLong = new AtomicInteger();
  private final AtomicInteger cancels = new AtomicInteger();

  private LineSplitter splitter(int max) {
    LineSplitter s = new LineSplitter(max, lines::add, tooLong::incrementAndGet);
    s.onSubscribe(new Flow.Subscription() {
      @Override
      public void request(long n) {}

      @Override
      public void cancel() {
        cancels.incrementAndGet();
      }
    });
    return s;
  }

  private static List<ByteBuffer> chunks(String... parts) {
    List<ByteBuffer> out = new ArrayList<>();
    for (String p : parts) {
      out.add(ByteBuffer.wrap(p.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  @Test
  void splitsLinesAcrossBuffersAndDropsTheLineEnds() {
    LineSplitter s = splitter(100);
    s.onNext(chunks("data: {\"a\":", "1}\r\n: ping\n", "\ndata: {\"b\":\"é\"}\n", "partial"));
    s.onComplete();
    assertThat(lines).containsExactly("data: {\"a\":1}", ": ping", "", "data: {\"b\":\"é\"}");
    assertThat(cancels).hasValue(0);
  }

  @Test
  void aLineLongerThanTheLimitCancelsTheStreamOnce() {
    LineSplitter s = splitter(16);
    s.onNext(chunks("short\n", "x".repeat(10), "y".repeat(10), "\nnever\n"));
    s.onNext(chunks("more\n"));
    assertThat(lines).containsExactly("short");
    assertThat(tooLong).hasValue(1);
    assertThat(cancels).hasValue(1);
  }
}
