package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.stream.BreakwaterServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Abuse of the stream and dashboard server while commands run: a thousand connection attempts
 * on the stream from ten threads in the same JVM, about 500 a second (the cap holds, the
 * commands do not notice), and a request with a 1 MB header
 * (refused without an answer, the server unharmed). The routes' 404, 405 and 400 answers are
 * covered by the stream module's own tests.
 */
class StreamServerAbuseTest {

  private static final int CAP = 10;
  private static final int RUN_MILLIS = 10;

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private BreakwaterServer server;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> workers = new ArrayList<>();
  /** Latency samples of the commands; the test swaps the target between phases. */
  private volatile List<Latencies> sink = new CopyOnWriteArrayList<>();
  /** The same work without Breakwater, measured alongside: what the machine does to any thread. */
  private volatile List<Latencies> controlSink = new CopyOnWriteArrayList<>();
  private Latencies lastControl;

  @BeforeEach
  void start() {
    runtime.configure("steady", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .timeoutMillis(1000).maxConcurrentRequests(20).build());
    server = BreakwaterServer.builder().runtime(runtime).port(0).maxConnections(CAP)
        .delay(Duration.ofMillis(100)).start();
    for (int i = 0; i < 4; i++) {
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          Latencies mine = new Latencies();
          List<Latencies> target = sink;
          target.add(mine);
          while (!stop.get() && sink == target) {
            long begin = System.nanoTime();
            runtime.execute("steady", () -> {
              Thread.sleep(RUN_MILLIS);
              return "ok";
            }, (k, c) -> "fallback");
            mine.record(System.nanoTime() - begin);
          }
        }
      }, "command-caller-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
      Thread c = new Thread(() -> {
        while (!stop.get()) {
          Latencies mine = new Latencies();
          List<Latencies> target = controlSink;
          target.add(mine);
          while (!stop.get() && controlSink == target) {
            long begin = System.nanoTime();
            pause(RUN_MILLIS);
            mine.record(System.nanoTime() - begin);
          }
        }
      }, "control-" + i);
      c.setDaemon(true);
      workers.add(c);
      c.start();
    }
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    stop.set(true);
    for (Thread t : workers) {
      t.join(5000);
    }
    server.close();
    runtime.close();
  }

  private Latencies measure(Runnable during) throws InterruptedException {
    List<Latencies> mine = new CopyOnWriteArrayList<>();
    List<Latencies> control = new CopyOnWriteArrayList<>();
    sink = mine;
    controlSink = control;
    during.run();
    sink = new CopyOnWriteArrayList<>();
    controlSink = new CopyOnWriteArrayList<>();
    Thread.sleep(50);
    lastControl = Latencies.merge(control);
    return Latencies.merge(mine);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aThousandConnectionAttemptsMeetTheCapAndTheCommandsDoNotNotice() throws Exception {
    Thread.sleep(1000); // warm-up
    Latencies baseline = measure(() -> pause(3000));
    Latencies controlBefore = lastControl;

    Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    List<Socket> held = new CopyOnWriteArrayList<>();
    AtomicInteger maxOpen = new AtomicInteger();
    AtomicLong attackMillis = new AtomicLong();
    Latencies attacked = measure(() -> {
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler = new Thread(() -> {
        while (sampling.get()) {
          maxOpen.accumulateAndGet(server.connections(), Math::max);
          pause(5);
        }
      }, "sampler");
      sampler.start();
      long t0 = System.nanoTime();
      List<Thread> attackers = new ArrayList<>();
      AtomicInteger attempts = new AtomicInteger();
      for (int a = 0; a < 10; a++) {
        Thread t = new Thread(() -> {
          while (attempts.incrementAndGet() <= 1000) {
            answers.computeIfAbsent(attempt(held), k -> new AtomicInteger()).incrementAndGet();
            pause(20);
          }
        }, "attacker-" + a);
        attackers.add(t);
        t.start();
      }
      for (Thread t : attackers) {
        try {
          t.join(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      attackMillis.set((System.nanoTime() - t0) / 1_000_000);
      pause(Math.max(0, 3000 - attackMillis.get())); // at least as long as the baseline
      sampling.set(false);
    });
    Latencies controlDuring = lastControl;
    int openAtEnd = server.connections();
    for (Socket s : held) {
      s.close();
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.connections() == 0);
    Map<String, Integer> tally = new TreeMap<>();
    answers.forEach((k, v) -> tally.put(k, v.get()));
    CommandSnapshot steady = runtime.snapshot("steady");

    System.out.printf(Locale.ROOT, "[figures] stream: 1000 connection attempts in %d ms,"
            + " answers %s, most streams open at once %d (cap %d)%n", attackMillis.get(), tally,
        maxOpen.get(), CAP);
    System.out.printf(Locale.ROOT, "[figures]   commands (run %d ms) before: %s%n",
        RUN_MILLIS, baseline.summary());
    System.out.printf(Locale.ROOT, "[figures]   commands during the attempts: %s;"
            + " p99 +%.2f ms, p50 +%.2f ms%n", attacked.summary(),
        attacked.percentileMillis(99) - baseline.percentileMillis(99),
        attacked.percentileMillis(50) - baseline.percentileMillis(50));
    System.out.printf(Locale.ROOT, "[figures]   control (the same sleep, no Breakwater) before:"
        + " %s; during: %s%n", controlBefore.summary(), controlDuring.summary());

    assertThat(tally.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1000);
    assertThat(tally.get("200")).as("streams granted").isEqualTo(CAP);
    assertThat(tally.get("503")).as("attempts refused with 503").isEqualTo(1000 - CAP);
    assertThat(maxOpen.get()).isLessThanOrEqualTo(CAP);
    assertThat(openAtEnd).isEqualTo(CAP);
    assertThat(steady.cumulativeCount(EventType.SUCCESS)).isEqualTo(
        steady.cumulativeCount(EventType.SUCCESS) + steady.cumulativeCount(EventType.FAILURE)
            + steady.cumulativeCount(EventType.TIMEOUT)
            + steady.cumulativeCount(EventType.SEMAPHORE_REJECTED));
    // Unaffected: the same median; and the tail no worse than what the same work suffers
    // outside Breakwater meanwhile (the attackers, the server, the commands and whatever else
    // runs share the machine's two cores, which no bulkhead can hide), within 10 % + 2 ms.
    assertThat(attacked.percentileMillis(50)).isLessThanOrEqualTo(
        baseline.percentileMillis(50) * 1.10);
    assertThat(attacked.percentileMillis(99)).as("command p99 during the attempts vs the"
        + " control's (%.2f ms)", controlDuring.percentileMillis(99))
        .isLessThanOrEqualTo(controlDuring.percentileMillis(99) * 1.10 + 2);
  }

  /** One attempt: the status it got, or what went wrong; a granted stream is kept open. */
  private String attempt(List<Socket> held) {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET /hystrix.stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      String code = status == null ? "closed" : status.split(" ")[1];
      if (code.equals("200")) {
        held.add(s);
      } else {
        s.close();
      }
      return code;
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // counted below
      }
      return e.getClass().getSimpleName();
    }
  }

  @Test
  void aOneMegabyteHeaderIsRefusedWithoutAnAnswerAndHarmsNothing() throws Exception {
    byte[] filler = new byte[1024 * 1024];
    Arrays.fill(filler, (byte) 'a');
    String outcome;
    long millis;
    Latencies during;
    String[] result = new String[1];
    long[] took = new long[1];
    during = measure(() -> {
      long t0 = System.nanoTime();
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 2000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        try {
          out.write("GET /hystrix.stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
              .getBytes(StandardCharsets.US_ASCII));
          out.write(filler);
          out.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          int first = s.getInputStream().read();
          result[0] = first < 0 ? "closed without an answer" : "answered";
        } catch (IOException e) {
          result[0] = "connection reset: " + e.getMessage();
        }
      } catch (IOException e) {
        result[0] = "could not connect: " + e;
      }
      took[0] = (System.nanoTime() - t0) / 1_000_000;
      pause(1000);
    });
    outcome = result[0];
    millis = took[0];
    // The server still serves the page and the stream.
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .proxy(java.net.http.HttpClient.Builder.NO_PROXY).build();
    int page = http.send(java.net.http.HttpRequest.newBuilder(server.uri()).build(),
        java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    String stream = attempt(new ArrayList<>());
    System.out.printf("[figures] stream: a request with a 1 MB header: %s after %d ms; then"
        + " page %d, stream %s; commands meanwhile %s%n", outcome, millis, page, stream,
        during.summary());
    // The JDK server stops reading past its header limit and closes the connection: no status
    // line at all, and the bytes still unread make the close a reset.
    assertThat(outcome).isIn("closed without an answer", "connection reset: Connection reset",
        "connection reset: Broken pipe");
    assertThat(millis).isLessThan(5000);
    assertThat(page).isEqualTo(200);
    assertThat(stream).isEqualTo("200");
    CommandSnapshot steady = runtime.snapshot("steady");
    assertThat(steady.cumulativeCount(EventType.FALLBACK_SUCCESS)).isZero();
  }
}
