package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.CommandException;
import io.breakwater.FailureKind;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import io.breakwater.example.ExampleServer;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.grpc.CommandInterceptor;
import io.breakwater.metrics.CommandSnapshot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bad user code: a {@code run} that throws an {@code Error}, a fallback that throws, a fallback
 * that hangs, {@code null} results, a {@code cacheKey} that throws. Each must produce the
 * documented events, and leave the counters exact and every permit returned: after each case
 * the command still runs {@code maxConcurrentRequests} executions at once, and its fallback
 * {@code fallbackMaxConcurrentRequests} fallbacks at once.
 */
class UserCodeFaultsTest {

  private static final int MAX = 4;
  private static final int FALLBACK_MAX = 2;

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private String command(Isolation isolation) {
    String name = "user-" + isolation;
    runtime.configure(name, CommandConfig.builder().isolation(isolation).timeoutMillis(2000)
        .maxConcurrentRequests(MAX).fallbackMaxConcurrentRequests(FALLBACK_MAX)
        .circuitBreakerEnabled(false).build());
    runtime.configureThreadPool(name, ThreadPoolConfig.builder().coreSize(MAX)
        .build());
    return name;
  }

  /** Cumulative counts of the events that happened, the others zero. */
  private Map<EventType, Long> counts(String name) {
    CommandSnapshot s = runtime.snapshot(name);
    Map<EventType, Long> m = new EnumMap<>(EventType.class);
    for (EventType t : EventType.values()) {
      if (s.cumulativeCount(t) != 0) {
        m.put(t, s.cumulativeCount(t));
      }
    }
    return m;
  }

  /**
   * The command can still run MAX executions at once and FALLBACK_MAX fallbacks at once: no
   * permit leaked. Leaves MAX successes, FALLBACK_MAX failures and fallback successes.
   */
  private void assertPermitsAllReturned(String name) throws Exception {
    Awaitility.await().atMost(Duration.ofSeconds(2))
        .until(() -> runtime.snapshot(name).currentConcurrency() == 0);
    CountDownLatch allIn = new CountDownLatch(MAX);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> runtime.execute(name, () -> {
        allIn.countDown();
        release.await();
        return "ok";
      }, (k, c) -> "fallback:" + k.text()), daemonExecutor()));
    }
    assertThat(allIn.await(5, TimeUnit.SECONDS)).as("MAX executions at once").isTrue();
    release.countDown();
    for (CompletableFuture<String> c : calls) {
      assertThat(c.get(5, TimeUnit.SECONDS)).isEqualTo("ok");
    }
    CountDownLatch fallbacksIn = new CountDownLatch(FALLBACK_MAX);
    CountDownLatch releaseFallbacks = new CountDownLatch(1);
    List<CompletableFuture<String>> falling = new ArrayList<>();
    for (int i = 0; i < FALLBACK_MAX; i++) {
      falling.add(CompletableFuture.supplyAsync(() -> runtime.execute(name, () -> {
        throw new IllegalStateException("boom");
      }, (k, c) -> {
        fallbacksIn.countDown();
        releaseFallbacks.await();
        return "fb";
      }), daemonExecutor()));
    }
    assertThat(fallbacksIn.await(5, TimeUnit.SECONDS)).as("FALLBACK_MAX fallbacks at once")
        .isTrue();
    releaseFallbacks.countDown();
    for (CompletableFuture<String> c : falling) {
      assertThat(c.get(5, TimeUnit.SECONDS)).isEqualTo("fb");
    }
  }

  private static java.util.concurrent.Executor daemonExecutor() {
    return r -> {
      Thread t = new Thread(r, "caller");
      t.setDaemon(true);
      t.start();
    };
  }

  private static Map<EventType, Long> events(Object... pairs) {
    Map<EventType, Long> m = new EnumMap<>(EventType.class);
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((EventType) pairs[i], ((Number) pairs[i + 1]).longValue());
    }
    return m;
  }

  /** The events the permit check adds on top of a case's own. */
  private static Map<EventType, Long> plusPermitCheck(Map<EventType, Long> own) {
    Map<EventType, Long> m = new EnumMap<>(own);
    m.merge(EventType.SUCCESS, (long) MAX, Long::sum);
    m.merge(EventType.FAILURE, (long) FALLBACK_MAX, Long::sum);
    m.merge(EventType.FALLBACK_SUCCESS, (long) FALLBACK_MAX, Long::sum);
    return m;
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"SEMAPHORE", "THREAD"})
  void aRunThatThrowsAnErrorFailsIntoTheFallbackButAVirtualMachineErrorIsNotPapered(
      Isolation isolation) throws Exception {
    String name = command(isolation);
    assertThat(runtime.<String>execute(name, () -> {
      throw new AssertionError("a bug in run");
    }, (kind, cause) -> kind + ":" + cause.getClass().getSimpleName()))
        .isEqualTo("FAILED:AssertionError");

    assertThatThrownBy(() -> runtime.execute(name, () -> {
      throw new StackOverflowError("deep");
    }, (kind, cause) -> "must not answer"))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining(name).hasMessageContaining("unrecoverable")
        .hasCauseInstanceOf(StackOverflowError.class)
        .satisfies(e -> assertThat(((CommandException) e).kind()).isEqualTo(FailureKind.FAILED));

    assertThat(counts(name)).isEqualTo(events(EventType.FAILURE, 2,
        EventType.FALLBACK_SUCCESS, 1, EventType.EXCEPTION_THROWN, 1));
    assertPermitsAllReturned(name);
    assertThat(counts(name)).isEqualTo(plusPermitCheck(events(EventType.FAILURE, 2,
        EventType.FALLBACK_SUCCESS, 1, EventType.EXCEPTION_THROWN, 1)));
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"SEMAPHORE", "THREAD"})
  void aFallbackThatThrowsIsAFallbackFailureCarryingBothCauses(Isolation isolation)
      throws Exception {
    String name = command(isolation);
    IllegalStateException runFailure = new IllegalStateException("run");
    IllegalArgumentException fallbackFailure = new IllegalArgumentException("fallback");

    assertThatThrownBy(() -> runtime.execute(name, () -> {
      throw runFailure;
    }, (kind, cause) -> {
      throw fallbackFailure;
    })).isInstanceOfSatisfying(CommandException.class, e -> {
      assertThat(e.kind()).isEqualTo(FailureKind.FAILED);
      assertThat(e.getCause()).isSameAs(runFailure);
      assertThat(e.fallbackFailure()).isSameAs(fallbackFailure);
      assertThat(e.getMessage()).contains(name).contains("fallback failed");
    });

    Map<EventType, Long> own = events(EventType.FAILURE, 1, EventType.FALLBACK_FAILURE, 1,
        EventType.EXCEPTION_THROWN, 1);
    assertThat(counts(name)).isEqualTo(own);
    assertPermitsAllReturned(name);
    assertThat(counts(name)).isEqualTo(plusPermitCheck(own));
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"SEMAPHORE", "THREAD"})
  void hangingFallbacksAreBoundedByTheirOwnSemaphore(Isolation isolation) throws Exception {
    String name = command(isolation);
    CountDownLatch hanging = new CountDownLatch(FALLBACK_MAX);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> hung = new ArrayList<>();
    for (int i = 0; i < FALLBACK_MAX; i++) {
      hung.add(CompletableFuture.supplyAsync(() -> runtime.execute(name, () -> {
        throw new IllegalStateException("down");
      }, (kind, cause) -> {
        hanging.countDown();
        release.await();
        return "late fallback";
      }), daemonExecutor()));
    }
    assertThat(hanging.await(5, TimeUnit.SECONDS)).isTrue();

    // The next failure finds no fallback permit: refused at once, not queued behind the hung.
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> runtime.execute(name, () -> {
      throw new IllegalStateException("down");
    }, (kind, cause) -> "never runs")).isInstanceOfSatisfying(CommandException.class, e ->
        assertThat(e.getMessage()).contains("fallback execution rejected"));
    long refusedMillis = (System.nanoTime() - t0) / 1_000_000;
    // Executions themselves are not held up by the hung fallbacks' callers' permits.
    assertThat(runtime.execute(name, () -> "still serving", (k, c) -> "fb"))
        .isEqualTo("still serving");

    release.countDown();
    for (CompletableFuture<String> h : hung) {
      assertThat(h.get(5, TimeUnit.SECONDS)).isEqualTo("late fallback");
    }
    System.out.printf("[figures] user code (%s): with %d fallbacks hung, the next failure was"
        + " refused its fallback in %d ms%n", isolation, FALLBACK_MAX, refusedMillis);
    Map<EventType, Long> own = events(EventType.FAILURE, FALLBACK_MAX + 1,
        EventType.FALLBACK_SUCCESS, FALLBACK_MAX, EventType.FALLBACK_REJECTION, 1,
        EventType.EXCEPTION_THROWN, 1, EventType.SUCCESS, 1);
    assertThat(counts(name)).isEqualTo(own);
    assertThat(refusedMillis).isLessThan(500);
    assertPermitsAllReturned(name);
    assertThat(counts(name)).isEqualTo(plusPermitCheck(own));
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"SEMAPHORE", "THREAD"})
  void nullResultsAreAnswersAndANullStageIsAFailure(Isolation isolation) throws Exception {
    String name = command(isolation);
    assertThat(runtime.execute(name, () -> (String) null, (k, c) -> "fallback")).isNull();
    assertThat(runtime.submit(name, () -> (String) null, (k, c) -> "fallback")
        .get(5, TimeUnit.SECONDS)).isNull();
    assertThat(runtime.<String>execute(name, () -> {
      throw new IllegalStateException("x");
    }, (k, c) -> (String) null)).isNull();
    assertThat(runtime.executeAsync(name, () -> CompletableFuture.completedFuture((String) null),
        (k, c) -> "fallback").get(5, TimeUnit.SECONDS)).isNull();
    // run handing back no stage at all is the run's failure: the fallback answers.
    assertThat(runtime.<String>executeAsync(name, () -> null,
        (k, c) -> "fallback:" + k.text() + ":" + c.getClass().getSimpleName())
        .get(5, TimeUnit.SECONDS)).isEqualTo("fallback:failed:NullPointerException");

    Map<EventType, Long> own = events(EventType.SUCCESS, 3, EventType.FAILURE, 2,
        EventType.FALLBACK_SUCCESS, 2);
    assertThat(counts(name)).isEqualTo(own);
    assertPermitsAllReturned(name);
    assertThat(counts(name)).isEqualTo(plusPermitCheck(own));
  }

  @ParameterizedTest
  @EnumSource(value = Isolation.class, names = {"SEMAPHORE", "THREAD"})
  void aCacheKeyThatThrowsFailsTheExecutionIntoTheFallbackAndRunNeverRuns(Isolation isolation)
      throws Exception {
    String name = command(isolation);
    List<String> ran = new ArrayList<>();
    class Keyed extends Command<String> {
      Keyed() {
        super(runtime, name, null);
      }

      @Override
      protected String run() {
        ran.add("run");
        return "ran";
      }

      @Override
      protected String fallback() {
        return "fallback:" + failureKind().text() + ":"
            + executionException().getClass().getSimpleName();
      }

      @Override
      protected String cacheKey() {
        throw new IllegalArgumentException("no key for you");
      }
    }
    try (RequestContext ctx = RequestContext.open()) {
      Keyed first = new Keyed();
      assertThat(first.execute()).isEqualTo("fallback:failed:IllegalArgumentException");
      assertThat(first.events()).contains(EventType.FAILURE, EventType.FALLBACK_SUCCESS);
      assertThat(first.isFailedExecution()).isTrue();
      assertThat(new Keyed().executeAsync().get(5, TimeUnit.SECONDS))
          .isEqualTo("fallback:failed:IllegalArgumentException");
    }
    assertThat(ran).isEmpty();
    Map<EventType, Long> own = events(EventType.FAILURE, 2, EventType.FALLBACK_SUCCESS, 2);
    assertThat(counts(name)).isEqualTo(own);
    assertPermitsAllReturned(name);
    assertThat(counts(name)).isEqualTo(plusPermitCheck(own));
  }

  @Test
  void aGrpcFallbackReturningNullIsAFallbackFailureAndTheCallerGetsTheFailuresStatus()
      throws Exception {
    try (GrpcLoopback grpc = new GrpcLoopback()) {
      ExampleServer server =
          new ExampleServer().failEveryCall(true);
      CommandInterceptor interceptor =
          CommandInterceptor.builder()
              .runtime(runtime)
              .command(ExampleServiceGrpc.getEndpointMethod(),
                  "null-fallback")
              .fallback(ExampleServiceGrpc.getEndpointMethod(),
                  (request, kind, cause) -> null)
              .build();
      ExampleServiceGrpc.ExampleServiceBlockingStub stub =
          ExampleServiceGrpc.newBlockingStub(
              grpc.channel(grpc.serve(server), interceptor));
      for (int i = 0; i < 3; i++) {
        assertThatThrownBy(() -> stub.endpoint(
            Request.newBuilder().setName("n").build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      }
      assertThat(counts("null-fallback")).isEqualTo(events(EventType.FAILURE, 3,
          EventType.FALLBACK_FAILURE, 3, EventType.EXCEPTION_THROWN, 3));
      assertThat(runtime.snapshot("null-fallback").currentConcurrency()).isZero();
    }
  }
}
