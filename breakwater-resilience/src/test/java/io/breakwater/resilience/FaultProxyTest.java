package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault proxy itself: it forwards, and each fault does what it says, bounded. */
class FaultProxyTest {

  private EchoServer echo;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void startEcho() throws IOException {
    echo = new EchoServer();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    echo.close();
  }

  private FaultProxy proxy() {
    FaultProxy p = FaultProxy.start(echo.port());
    toClose.add(p);
    return p;
  }

  private Socket connect(FaultProxy p) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.port()), 2000);
    s.setSoTimeout(3000);
    toClose.add(s);
    return s;
  }

  private static byte[] roundTrip(Socket s, byte[] message) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(message);
    out.flush();
    return s.getInputStream().readNBytes(message.length);
  }

  @Test
  void forwardsBothWays() throws Exception {
    FaultProxy p = proxy();
    Socket s = connect(p);
    assertThat(roundTrip(s, "hello".getBytes())).isEqualTo("hello".getBytes());
    assertThat(p.accepted()).isEqualTo(1);
    // The proxy counts a chunk once written; the echo may reach us a moment before that.
    Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> p.bytesForwarded() == 10);
  }

  @Test
  void latencyDelaysEachDirection() throws Exception {
    FaultProxy p = proxy().latency(Duration.ofMillis(100));
    Socket s = connect(p);
    long start = System.nanoTime();
    roundTrip(s, "x".getBytes());
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.println("[figures] proxy latency 100 ms each way: echo round trip " + millis
        + " ms");
    assertThat(millis).isBetween(200L, 400L);

    p.latency(Duration.ZERO);
    start = System.nanoTime();
    roundTrip(s, "y".getBytes());
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(100);
  }

  @Test
  void aStallAcceptsAndNeverAnswersUntilItEnds() throws Exception {
    FaultProxy p = proxy();
    Socket before = connect(p);
    roundTrip(before, "a".getBytes());
    p.stall(true);

    Socket during = connect(p); // accepted...
    during.setSoTimeout(300);
    during.getOutputStream().write('b');
    assertThatThrownBy(() -> during.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class); // ...and never answered
    before.setSoTimeout(300);
    before.getOutputStream().write('c');
    assertThatThrownBy(() -> before.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class);

    p.stall(false);
    during.setSoTimeout(3000);
    before.setSoTimeout(3000);
    assertThat(during.getInputStream().read()).isEqualTo('b');
    assertThat(before.getInputStream().read()).isEqualTo('c');
  }

  @Test
  void resetAllResetsEveryOpenConnection() throws Exception {
    FaultProxy p = proxy();
    Socket a = connect(p);
    Socket b = connect(p);
    roundTrip(a, "1".getBytes());
    roundTrip(b, "2".getBytes());

    assertThat(p.resetAll()).isEqualTo(2);

    for (Socket s : List.of(a, b)) {
      assertThatThrownBy(() -> {
        s.getOutputStream().write('x');
        s.getInputStream().read();
      }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
    assertThat(p.resets()).isEqualTo(2);
    assertThat(p.openConnections()).isZero();
  }

  @Test
  void refusingClosesTheDoorAndReopeningUsesTheSamePort() throws Exception {
    FaultProxy p = proxy().refuse(true);
    assertThatThrownBy(() -> connect(p)).isInstanceOf(ConnectException.class);

    p.refuse(false);
    assertThat(roundTrip(connect(p), "ok".getBytes())).isEqualTo("ok".getBytes());
  }

  @Test
  void dropsTheGivenShareOfNewConnections() throws Exception {
    FaultProxy p = proxy().dropFraction(0.5);
    int answered = 0;
    for (int i = 0; i < 200; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.port()), 2000);
        s.setSoTimeout(3000);
        s.getOutputStream().write('z');
        if (s.getInputStream().read() == 'z') {
          answered++;
        }
      } catch (SocketException reset) {
        // dropped
      }
    }
    System.out.println("[figures] proxy drop 50 %: " + p.dropped() + " of 200 dropped, "
        + answered + " answered");
    assertThat(answered + p.dropped()).isEqualTo(200);
    assertThat(p.dropped()).isBetween(60L, 140L);
  }

  @Test
  void bandwidthIsLimited() throws Exception {
    FaultProxy p = proxy().bandwidth(200_000);
    Socket s = connect(p);
    s.setSoTimeout(10_000);
    byte[] data = new byte[100_000];
    long start = System.nanoTime();
    Thread writer = new Thread(() -> {
      try {
        s.getOutputStream().write(data);
      } catch (IOException ignored) {
        // the reader's assertion tells
      }
    });
    writer.start();
    byte[] back = s.getInputStream().readNBytes(data.length);
    long millis = (System.nanoTime() - start) / 1_000_000;
    writer.join();
    System.out.println("[figures] proxy at 200 kB/s: 100 kB echoed in " + millis + " ms");
    assertThat(back).hasSize(data.length);
    // 100 kB each way at 200 kB/s: about 500 ms, the two directions overlapping.
    assertThat(millis).isBetween(400L, 2000L);
  }

  @Test
  void acceptsAtMostMaxConnectionsAndClosesItselfAfterItsLifetime() throws Exception {
    FaultProxy p = FaultProxy.start(echo.port(), 2, Duration.ofMillis(1500));
    toClose.add(p);
    roundTrip(connect(p), "1".getBytes());
    roundTrip(connect(p), "2".getBytes());
    assertThatThrownBy(() -> {
      Socket third = connect(p); // the reset can come as soon as the connection is made
      third.getOutputStream().write('3');
      if (third.getInputStream().read() < 0) {
        throw new SocketException("closed");
      }
    }).isInstanceOf(SocketException.class);
    assertThat(p.overLimit()).isEqualTo(1);

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(p::isClosed);
    assertThatThrownBy(() -> connect(p)).isInstanceOf(ConnectException.class);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxyThreads(p) == 0);
  }

  @Test
  void closeStopsEveryThread() throws Exception {
    FaultProxy p = proxy().latency(Duration.ofMillis(10));
    for (int i = 0; i < 5; i++) {
      roundTrip(connect(p), "x".getBytes());
    }
    assertThat(proxyThreads(p)).isGreaterThan(5);
    p.close();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxyThreads(p) == 0);
  }

  private static long proxyThreads(FaultProxy p) {
    String prefix = "fault-proxy-" + p.port() + "-";
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix)).count();
  }

  /** Echoes every byte back, one thread per connection. */
  static final class EchoServer implements AutoCloseable {
    private final ServerSocket server;

    EchoServer() throws IOException {
      server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            Thread t = new Thread(() -> echo(s), "echo");
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "echo-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void echo(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // the peer went away
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
