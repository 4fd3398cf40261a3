package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.event.EventType;
import io.breakwater.example.ExampleServer;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.example.proto.Response;
import io.breakwater.grpc.CommandInterceptor;
import io.breakwater.metrics.CommandSnapshot;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Scenario 1, a stalled dependency: the fault proxy between client and server accepts and never
 * answers for the whole measured run. Every call must be answered (fallback or error) and the
 * caller's p99 must stay within the timeout plus 25 ms; afterwards no thread may be left in
 * {@code run} and the JVM's thread count must be back where it was (± 2).
 *
 * <p>Two paths: the gRPC interceptor (an asynchronous command; the wire call is cancelled at the
 * timeout) and a thread-isolated command whose {@code run} makes a blocking gRPC call (the pool
 * thread is interrupted at the timeout). Each runs twice: with the circuit breaker as
 * configured by default (10 000 calls; it opens after 20 and sends one trial per sleep window),
 * and with the breaker disabled (1000 calls, every one of them waits for its timeout), which is
 * the run that tests the timeout itself. A hiccup of the machine delays the eight calls in
 * flight at once; with 1000 calls that is under 1 %, so p99 measures Breakwater, not one pause.
 */
class StalledDependencyTest {

  private static final int THREADS = 8;
  private static final int TIMEOUT_MILLIS = 100;
  private static final int SLACK_MILLIS = 25;
  private static final Request REQUEST = Request.newBuilder().setName("stall").build();

  /** Loads every class and starts every JVM-wide thread once, so the census counts leaks only. */
  @BeforeAll
  static void warmUp() throws Exception {
    for (String path : new String[] {"grpc", "thread"}) {
      try (Setup s = new Setup(path, true)) {
        s.call.call();
      }
    }
  }

  @ParameterizedTest(name = "{0} path, breaker {1}, {2} calls")
  @CsvSource({"grpc, true, 10000", "thread, true, 10000", "grpc, false, 1000",
      "thread, false, 1000"})
  void everyCallIsAnsweredWithinTheTimeoutAndNothingIsLeftBehind(String path,
      boolean breaker, int calls) throws Exception {
    int before = ThreadCensus.awaitAtMost(0, Duration.ofMillis(1500));
    java.util.List<String> beforeNames = ThreadCensus.names(t -> true);
    CallerLoad.Result r;
    int peak;
    CommandSnapshot snapshot;
    long refusedOrTimedOut;
    long timeouts;
    try (Setup s = new Setup(path, breaker)) {
      // Healthy before the stall: the first call also opens the connection, which on a busy
      // machine can take longer than the 100 ms timeout, so it may take a few tries.
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.call.call()
          .equals("server"));
      long received = s.server.callsReceived();
      CommandSnapshot atStart = s.runtime.snapshot(s.command);
      s.proxy.stall(true);

      r = CallerLoad.run(THREADS, calls, s.call, label -> label, 120);
      peak = ThreadCensus.count();

      // No thread may still be inside run (a pool thread) or holding a permit (a wire call).
      Awaitility.await().atMost(Duration.ofSeconds(2)).until(() ->
          ThreadCensus.runningIn(StalledDependencyTest.class.getName(), "lambda").isEmpty()
              && s.runtime.snapshot(s.command).currentConcurrency() == 0);
      snapshot = s.runtime.snapshot(s.command);
      refusedOrTimedOut = refusedOrTimedOut(snapshot) - refusedOrTimedOut(atStart);
      timeouts = snapshot.cumulativeCount(EventType.TIMEOUT)
          - atStart.cumulativeCount(EventType.TIMEOUT);
      if (path.equals("thread")) {
        synchronized (s.runTimes) {
          System.out.println("[figures]   time inside run on the pool thread (from start to"
              + " leaving after the interrupt): " + s.runTimes.summary());
        }
      }
      assertThat(s.server.callsReceived() - received).as("the stalled server saw nothing")
          .isZero();
    }
    int after = ThreadCensus.awaitAtMost(before, Duration.ofSeconds(5));
    java.util.List<String> afterNames = ThreadCensus.names(t -> true);
    java.util.List<String> gone = new java.util.ArrayList<>(beforeNames);
    gone.removeAll(afterNames);
    java.util.List<String> added = new java.util.ArrayList<>(afterNames);
    added.removeAll(beforeNames);
    System.out.println("[figures]   slowest calls " + r.slowest + "; threads gone " + gone
        + ", new " + added);

    System.out.printf("[figures] scenario 1 stalled dependency, %s path, breaker %s: %d calls"
            + " from %d threads in %d ms; caller latency %s (bound %d ms)%n", path,
        breaker ? "on" : "off", calls, THREADS, r.wallMillis, r.latencies.summary(),
        TIMEOUT_MILLIS + SLACK_MILLIS);
    System.out.printf("[figures]   outcomes %s; timed-out calls %s%n", r.outcomes,
        r.byOutcome.containsKey("fallback:timed-out")
            ? r.byOutcome.get("fallback:timed-out").summary() : "none");
    System.out.printf("[figures]   events (warm-up call included): timeouts %d, short-circuited %d,"
            + " rejected %d, fallback successes %d; threads before %d, during %d, after %d%n",
        snapshot.cumulativeCount(EventType.TIMEOUT),
        snapshot.cumulativeCount(EventType.SHORT_CIRCUITED),
        snapshot.cumulativeCount(EventType.THREAD_POOL_REJECTED)
            + snapshot.cumulativeCount(EventType.SEMAPHORE_REJECTED),
        snapshot.cumulativeCount(EventType.FALLBACK_SUCCESS), before, peak, after);

    assertThat(r.finished).as("every caller finished").isTrue();
    assertThat(r.answered()).as("every call answered").isEqualTo(calls);
    assertThat(r.count("server")).as("no answer came from the stalled server").isZero();
    assertThat(r.latencies.percentileMillis(99)).as("p99 caller latency, ms")
        .isLessThanOrEqualTo(TIMEOUT_MILLIS + SLACK_MILLIS);
    assertThat(refusedOrTimedOut)
        .as("every call of the run was refused or timed out, and counted once")
        .isEqualTo(calls);
    if (!breaker && path.equals("grpc")) {
      // A wire call holds no thread: with the breaker off, every call waits for its timeout.
      assertThat(timeouts).isEqualTo(calls);
    }
    assertThat(after).as("threads after vs before (%d), still alive: %s", before,
        ThreadCensus.names(ThreadCensus::ours)).isBetween(before - 2, before + 2);
  }

  private static long refusedOrTimedOut(CommandSnapshot s) {
    return s.cumulativeCount(EventType.TIMEOUT) + s.cumulativeCount(EventType.SHORT_CIRCUITED)
        + s.cumulativeCount(EventType.THREAD_POOL_REJECTED)
        + s.cumulativeCount(EventType.SEMAPHORE_REJECTED);
  }

  /** A server behind a fault proxy, a runtime, and one way of calling through both. */
  private static final class Setup implements AutoCloseable {
    final BreakwaterRuntime runtime = BreakwaterRuntime.create();
    final GrpcLoopback grpc = new GrpcLoopback();
    final ExampleServer server = new ExampleServer();
    final FaultProxy proxy;
    final String command;
    final Callable<String> call;
    /** How long run took on the pool thread, interrupt and unwinding included. */
    final Latencies runTimes = new Latencies();

    Setup(String path, boolean breaker) {
      proxy = FaultProxy.start(grpc.serve(server), 100, Duration.ofMinutes(3));
      CommandConfig.Builder config = CommandConfig.builder()
          .timeoutMillis(TIMEOUT_MILLIS)
          .maxConcurrentRequests(100)
          .circuitBreakerEnabled(breaker);
      if (path.equals("grpc")) {
        command = "stalled-grpc";
        CommandInterceptor interceptor = CommandInterceptor.builder()
            .runtime(runtime)
            .command(ExampleServiceGrpc.getEndpointMethod(), command)
            .config(ExampleServiceGrpc.getEndpointMethod(), config.build())
            .fallback(ExampleServiceGrpc.getEndpointMethod(), (request, kind, cause) ->
                Response.newBuilder().setMsg("fallback:" + kind.text()).build())
            .build();
        ManagedChannel channel = grpc.channel(proxy.port(), interceptor);
        ExampleServiceGrpc.ExampleServiceBlockingStub stub =
            ExampleServiceGrpc.newBlockingStub(channel);
        call = () -> label(stub.endpoint(REQUEST));
      } else {
        command = "stalled-thread";
        runtime.configure(command, config.isolation(Isolation.THREAD).build());
        ManagedChannel channel = grpc.channel(proxy.port());
        ExampleServiceGrpc.ExampleServiceBlockingStub stub =
            ExampleServiceGrpc.newBlockingStub(channel);
        call = () -> runtime.execute(command, () -> {
          long begin = System.nanoTime();
          try {
            return label(stub.endpoint(REQUEST));
          } finally {
            synchronized (runTimes) {
              runTimes.record(System.nanoTime() - begin);
            }
          }
        }, (kind, cause) -> "fallback:" + kind.text());
      }
    }

    private static String label(Response r) {
      return r.getMsg().startsWith("Hello") ? "server" : r.getMsg();
    }

    @Override
    public void close() throws InterruptedException {
      proxy.close();
      grpc.close();
      runtime.close();
    }
  }
}
