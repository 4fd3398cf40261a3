package io.breakwater.stream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Server-sent event framing, as Hystrix's servlet writes it. */
final class Sse {

  static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

  /**
   * What is written when a tick has nothing to send: an SSE comment, which every EventSource and
   * Turbine ignore, keeps proxies and the reader's idle timers from closing the connection.
   */
  static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.US_ASCII);

  private Sse() {}

  /** One event per message, concatenated. A message never holds a newline (JSON escapes it). */
  static byte[] events(List<byte[]> messages) {
    int size = 0;
    for (byte[] m : messages) {
      size += DATA.length + m.length + END.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    for (byte[] m : messages) {
      out.writeBytes(DATA);
      out.writeBytes(m);
      out.writeBytes(END);
    }
    return out.toByteArray();
  }
}
