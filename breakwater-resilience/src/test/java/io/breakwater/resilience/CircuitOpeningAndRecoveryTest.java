package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.circuit.CircuitState;
import io.breakwater.circuit.CircuitTransition;
import io.breakwater.event.CommandListener;
import io.breakwater.event.EventType;
import io.breakwater.example.ExampleServer;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.example.proto.Response;
import io.breakwater.grpc.CommandInterceptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3, opening and recovery, against the example server over gRPC: at 50 % errors the
 * circuit opens on the very request that crosses the threshold; while it is open the server
 * sees exactly one trial per sleep window; once the server heals, the first trial closes it.
 * Once in real time (the server notes when each call arrives) and once on a manual clock, where
 * "one per window" can be checked exactly while eight threads hammer the open circuit.
 */
class CircuitOpeningAndRecoveryTest {

  private static final String COMMAND = "opening";
  private static final int VOLUME = 20;
  private static final int THRESHOLD = 50;
  private static final Request REQUEST = Request.newBuilder().setName("c").build();

  private final GrpcLoopback grpc = new GrpcLoopback();
  private final ExampleServer server = new ExampleServer();
  private final ServerArrivals arrivals = new ServerArrivals();
  private final List<CircuitTransition> transitions = new CopyOnWriteArrayList<>();
  private BreakwaterRuntime runtime;

  @AfterEach
  void tearDown() throws InterruptedException {
    grpc.close();
    if (runtime != null) {
      runtime.close();
    }
  }

  private ExampleServiceGrpc.ExampleServiceBlockingStub client(BreakwaterRuntime rt,
      int sleepWindowMillis) {
    runtime = rt;
    rt.addListener(new CommandListener() {
      @Override
      public void onCircuitTransition(CircuitTransition t) {
        transitions.add(t);
      }
    });
    int port = grpc.serve(server, arrivals);
    CommandInterceptor interceptor = CommandInterceptor.builder()
        .runtime(rt)
        .command(ExampleServiceGrpc.getEndpointMethod(), COMMAND)
        .config(ExampleServiceGrpc.getEndpointMethod(), CommandConfig.builder()
            .timeoutMillis(1000)
            .maxConcurrentRequests(50)
            .requestVolumeThreshold(VOLUME)
            .errorThresholdPercentage(THRESHOLD)
            .sleepWindowMillis(sleepWindowMillis)
            .build())
        .fallback(ExampleServiceGrpc.getEndpointMethod(), (request, kind, cause) ->
            Response.newBuilder().setMsg("fallback:" + kind.text()).build())
        .build();
    return ExampleServiceGrpc.newBlockingStub(grpc.channel(port, interceptor));
  }

  /**
   * Sequential calls at a 50 % error rate until the circuit opens. Our own tally of the answers
   * names the request that must open it: the first failure after which at least VOLUME requests
   * were seen and errors are at least THRESHOLD % (the success path never opens a circuit).
   */
  private int openAtFiftyPercent(ExampleServiceGrpc.ExampleServiceBlockingStub stub) {
    server.errorRate(0.5);
    long total = 0;
    long errors = 0;
    int expected = -1;
    int call = 0;
    while (call < 5000) {
      call++;
      String msg = stub.endpoint(REQUEST).getMsg();
      boolean failed = msg.equals("fallback:failed");
      assertThat(failed || msg.startsWith("Hello")).as("call %d answered %s", call, msg)
          .isTrue();
      total++;
      if (failed) {
        errors++;
      }
      boolean crosses = failed && total >= VOLUME && errors * 100 / total >= THRESHOLD;
      CircuitState state = runtime.circuitState(COMMAND);
      if (crosses) {
        expected = call;
        assertThat(state).as("circuit right after request %d (%d errors of %d)", call, errors,
            total).isEqualTo(CircuitState.OPEN);
        System.out.printf("[figures] scenario 3: circuit opened on request %d, the one that"
            + " crossed the threshold: %d errors of %d requests = %d %% (threshold %d %%,"
            + " volume %d)%n", call, errors, total, errors * 100 / total, THRESHOLD, VOLUME);
        break;
      }
      assertThat(state).as("circuit after request %d (%d errors of %d)", call, errors, total)
          .isEqualTo(CircuitState.CLOSED);
    }
    assertThat(expected).as("the threshold was crossed within 5000 requests").isPositive();
    long seenTotal = total;
    long seenErrors = errors;
    assertThat(transitions).singleElement().satisfies(t -> {
      assertThat(t.to()).isEqualTo(CircuitState.OPEN);
      assertThat(t.health().total()).isEqualTo(seenTotal);
      assertThat(t.health().errors()).isEqualTo(seenErrors);
    });
    return expected;
  }

  @Test
  void opensOnTheCrossingRequestThenOneTrialPerSleepWindowThenTheFirstHealthyTrialCloses()
      throws Exception {
    int sleepMillis = 400;
    ExampleServiceGrpc.ExampleServiceBlockingStub stub =
        client(BreakwaterRuntime.create(), sleepMillis);
    int opener = openAtFiftyPercent(stub);
    assertThat(server.callsReceived()).isEqualTo(opener);

    // Open: four callers keep calling for seven sleep windows while the server fails them all.
    server.errorRate(0).failEveryCall(true);
    int before = arrivals.count();
    long openedAt = System.nanoTime();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong answered = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          stub.endpoint(REQUEST);
          answered.incrementAndGet();
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "caller-" + i);
      callers.add(t);
      t.start();
    }
    Thread.sleep(7L * sleepMillis + sleepMillis / 2);
    stop.set(true);
    for (Thread t : callers) {
      t.join();
    }
    List<Long> trials = arrivals.since(before);
    List<Long> gaps = new ArrayList<>();
    long previous = openedAt;
    for (long at : trials) {
      gaps.add((at - previous) / 1_000_000);
      previous = at;
    }
    System.out.printf("[figures] scenario 3: while open, %d calls answered in %d ms, the server"
            + " saw %d trials; gaps between trials (ms, the first from the opening): %s;"
            + " sleep window %d ms%n", answered.get(), (System.nanoTime() - openedAt) / 1_000_000,
        trials.size(), gaps, sleepMillis);
    assertThat(trials).hasSize(7);
    // Exactly one per window: never two within a window, and no window without one.
    assertThat(gaps).allSatisfy(g -> assertThat(g).isBetween((long) sleepMillis - 5,
        (long) sleepMillis + 100));

    // Healed: the next trial succeeds and closes the circuit at once.
    server.heal();
    before = arrivals.count();
    Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5))
        .until(() -> {
          Response r = stub.endpoint(REQUEST);
          return r.getMsg().startsWith("Hello");
        });
    assertThat(arrivals.count() - before).as("the first trial after healing").isEqualTo(1);
    assertThat(runtime.circuitState(COMMAND)).isEqualTo(CircuitState.CLOSED);
    CircuitTransition last = transitions.get(transitions.size() - 1);
    assertThat(last.from()).isEqualTo(CircuitState.HALF_OPEN);
    assertThat(last.to()).isEqualTo(CircuitState.CLOSED);
    assertThat(stub.endpoint(REQUEST).getMsg()).startsWith("Hello");
    System.out.printf("[figures] scenario 3: after healing, the first trial closed the circuit;"
        + " transitions %s%n", transitions.stream().map(t -> t.from() + "->" + t.to()).toList());
  }

  @Test
  void onAManualClockEightHammeringThreadsLetExactlyOneTrialThroughPerWindow()
      throws Exception {
    ManualClock clock = new ManualClock();
    int sleepMillis = 5000;
    ExampleServiceGrpc.ExampleServiceBlockingStub stub =
        client(BreakwaterRuntime.builder().clock(clock).build(), sleepMillis);
    openAtFiftyPercent(stub);
    server.errorRate(0).failEveryCall(true);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong answered = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> {
        while (!stop.get()) {
          stub.endpoint(REQUEST);
          answered.incrementAndGet();
        }
      }, "caller-" + i);
      callers.add(t);
      t.start();
    }
    int windows = 10;
    List<Integer> perWindow = new ArrayList<>();
    try {
      for (int w = 0; w < windows; w++) {
        int before = arrivals.count();
        long answeredBefore = answered.get();
        clock.advance(Duration.ofMillis(sleepMillis));
        Awaitility.await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(2))
            .until(() -> arrivals.count() > before
                && runtime.circuitState(COMMAND) == CircuitState.OPEN);
        // Let the hammering go on within the window: nothing more may get through.
        Awaitility.await().atMost(Duration.ofSeconds(5))
            .until(() -> answered.get() > answeredBefore + 500);
        perWindow.add(arrivals.count() - before);
      }
      server.heal();
      int before = arrivals.count();
      clock.advance(Duration.ofMillis(sleepMillis));
      Awaitility.await().atMost(Duration.ofSeconds(2))
          .until(() -> runtime.circuitState(COMMAND) == CircuitState.CLOSED);
      Thread.sleep(50);
      assertThat(arrivals.count() - before).as("calls after healing").isGreaterThan(1);
    } finally {
      stop.set(true);
      for (Thread t : callers) {
        t.join();
      }
    }
    long shortCircuited = runtime.snapshot(COMMAND).cumulativeCount(EventType.SHORT_CIRCUITED);
    System.out.printf("[figures] scenario 3 (manual clock): %d windows with 8 threads"
            + " hammering, %d calls short-circuited; calls reaching the server per window %s%n",
        windows, shortCircuited, perWindow);
    assertThat(perWindow).hasSize(windows).containsOnly(1);
    long halfOpens = transitions.stream().filter(t -> t.to() == CircuitState.HALF_OPEN).count();
    assertThat(halfOpens).isEqualTo(windows + 1);
    assertThat(transitions.get(transitions.size() - 1).to()).isEqualTo(CircuitState.CLOSED);
  }
}
