package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A reader that never reads, readers that vanish mid-stream, and closing with readers
 * attached: none of them slows a command or another reader, spams the log or leaks a thread.
 */
class StreamRobustnessTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<Socket> sockets = new ArrayList<>();
  private BreakwaterServer server;

  @BeforeEach
  void captureLogs() {
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
  }

  @AfterEach
  void tearDown() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
    runtime.close();
  }

  private List<ILoggingEvent> warnings() {
    return logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
  }

  /** Opens a stream on a raw socket and never reads from it. */
  private Socket stalledReader(String path) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    sockets.add(s);
    return s;
  }

  private static long nanosFor(Runnable work) {
    long t0 = System.nanoTime();
    work.run();
    return System.nanoTime() - t0;
  }

  private void manyCommands() {
    CommandConfig semaphore = CommandConfig.builder().isolation(Isolation.SEMAPHORE).build();
    // Enough commands that one tick is large (about 300 kB) and a reader that does not read
    // fills the socket buffers within a second.
    for (int i = 0; i < 150; i++) {
      runtime.configure("filler.command.number." + i, semaphore);
      runtime.snapshot("filler.command.number." + i);
    }
    runtime.configure("hot", semaphore);
    runtime.snapshot("hot");
  }

  private void runHot(int times) {
    for (int i = 0; i < times; i++) {
      runtime.execute("hot", () -> "ok");
    }
  }

  @Test
  void aReaderThatNeverReadsLosesTicksAndSlowsNothing() throws Exception {
    manyCommands();
    server = BreakwaterServer.builder().runtime(runtime).port(0).maxConnections(4).start();
    runHot(20_000); // warm up
    long baseline = nanosFor(() -> runHot(20_000));

    stalledReader("/hystrix.stream?delay=100");
    stalledReader("/hystrix.stream?delay=100");
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.droppedTicks() > 5);

    long withStalledReaders = nanosFor(() -> runHot(20_000));
    assertThat(withStalledReaders).as("20k executions with two stalled readers vs. without")
        .isLessThan(baseline * 3 + 50_000_000L);

    // Another reader still gets fresh ticks at its pace.
    try (StreamClient fresh = StreamClient.open(server.uri().resolve(
        "/hystrix.stream?delay=100"))) {
      fresh.next("HystrixCommand", "hot", Duration.ofSeconds(3));
      runtime.execute("hot", () -> "ok");
      long expected = runtime.snapshot("hot").rollingCount(io.breakwater.event.EventType.SUCCESS);
      JsonNode m = fresh.await("HystrixCommand", "hot", Duration.ofSeconds(3),
          n -> n.get("rollingCountSuccess").asLong() >= expected);
      assertThat(m.get("rollingCountSuccess").asLong()).isGreaterThanOrEqualTo(expected);
    }
    assertThat(server.connections()).isGreaterThanOrEqualTo(2);
    assertThat(warnings()).isEmpty();
  }

  @Test
  void readersLeavingMidStreamAreForgottenQuietly() throws Exception {
    runtime.snapshot("watched");
    server = BreakwaterServer.builder().runtime(runtime).port(0).start();
    for (int i = 0; i < 5; i++) {
      StreamClient c = StreamClient.open(server.uri().resolve("/hystrix.stream?delay=100"));
      c.next("HystrixCommand", "watched", Duration.ofSeconds(3));
      c.close();
      Socket s = new Socket("127.0.0.1", server.port());
      s.getOutputStream().write("GET /hystrix.stream?delay=100 HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(in.readNBytes(15)).isNotEmpty();
      s.setSoLinger(true, 0); // an abrupt reset, as a crashed browser would leave
      s.close();
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
    assertThat(warnings()).isEmpty();

    server.close();
    server = null;
    assertNoStreamThreads();
  }

  @Test
  void closeEndsEveryStreamAndStopsEveryThreadEvenWithAStalledReader() throws Exception {
    manyCommands();
    server = BreakwaterServer.builder().runtime(runtime).port(0).start();
    stalledReader("/hystrix.stream?delay=100");
    StreamClient live = StreamClient.open(server.uri().resolve("/hystrix.stream"));
    live.next("HystrixCommand", "hot", Duration.ofSeconds(3));
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> server.droppedTicks() > 0);

    server.close();
    server = null;
    live.response.handle((r, e) -> null).get(5, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(live.response).isDone();
    assertNoStreamThreads();
    assertThat(warnings()).isEmpty();
  }

  private static void assertNoStreamThreads() {
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive).map(Thread::getName)
            .filter(n -> n.startsWith("breakwater-stream-"))).isEmpty());
  }
}
