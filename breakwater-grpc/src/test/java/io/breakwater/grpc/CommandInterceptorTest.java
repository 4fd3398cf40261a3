package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.Breakwater;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.circuit.CircuitState;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CommandInterceptorTest {

  private static final MethodDescriptor<SimpleRequest, SimpleResponse> UNARY =
      SimpleServiceGrpc.getUnaryRpcMethod();
  private static final String COMMAND = "simple_command";

  private final Loopback loopback = new Loopback();
  private final TestService service = new TestService();
  private final List<String> fallbackCalls = new CopyOnWriteArrayList<>();
  private final List<Throwable> fallbackCauses = new CopyOnWriteArrayList<>();
  private BreakwaterRuntime runtime;
  private int port;

  @BeforeEach
  void startServer() {
    runtime = BreakwaterRuntime.create();
    port = loopback.serve(service);
  }

  @AfterEach
  void stop() throws InterruptedException {
    loopback.close();
    runtime.close();
  }

  private static CommandConfig.Builder config() {
    return CommandConfig.builder().isolation(Isolation.SEMAPHORE).timeoutMillis(1000)
        .maxConcurrentRequests(10).requestVolumeThreshold(1000).sleepWindowMillis(60_000);
  }

  private CommandInterceptor interceptor(CommandConfig config, boolean withFallback) {
    CommandInterceptor.Builder b = CommandInterceptor.builder().runtime(runtime)
        .command(UNARY, COMMAND).config(UNARY, config);
    if (withFallback) {
      b.fallback(UNARY, (request, kind, cause) -> {
        fallbackCalls.add(request.getRequestMessage() + " " + kind);
        fallbackCauses.add(cause);
        return TestService.response("fallback for " + request.getRequestMessage());
      });
    }
    return b.build();
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub blocking(CommandInterceptor interceptor) {
    return SimpleServiceGrpc.newBlockingStub(loopback.channel(port, interceptor));
  }

  /** A stub on a channel that is already connected, for tests that time calls. */
  private SimpleServiceGrpc.SimpleServiceBlockingStub connected(CommandInterceptor interceptor) {
    ManagedChannel channel = loopback.channel(port, interceptor);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> channel.getState(true) == ConnectivityState.READY);
    return SimpleServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Makes one answered call so that the path is warm: a call that times out before it even
   * reaches the server has no server-side call to cancel.
   */
  private void warmUp(SimpleServiceGrpc.SimpleServiceBlockingStub stub) {
    assertThat(stub.unaryRpc(TestService.request("warm-up")).getResponseMessage())
        .isEqualTo("hello warm-up");
  }

  private CommandSnapshot snapshot() {
    return runtime.snapshot(COMMAND);
  }

  @Test
  void answerFromTheServerIsASuccessOfTheCommand() {
    SimpleResponse response = blocking(interceptor(config().build(), true))
        .unaryRpc(TestService.request("world"));

    assertThat(response.getResponseMessage()).isEqualTo("hello world");
    assertThat(service.received).hasValue(1);
    assertThat(snapshot().cumulativeCount(EventType.SUCCESS)).isEqualTo(1);
    assertThat(snapshot().group()).isEqualTo("grpc.testing.SimpleService");
    assertThat(fallbackCalls).isEmpty();
  }

  @Test
  void unnamedMethodIsACommandNamedAfterTheFullMethodNameInTheServiceGroup() {
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime).build();

    blocking(interceptor).unaryRpc(TestService.request("world"));

    String name = "grpc.testing.SimpleService/UnaryRpc";
    assertThat(interceptor.commandName(UNARY)).isEqualTo(name);
    assertThat(runtime.snapshot(name).cumulativeCount(EventType.SUCCESS)).isEqualTo(1);
    assertThat(runtime.config(name).group()).isEqualTo("grpc.testing.SimpleService");
  }

  @Test
  void withoutARuntimeTheSharedOneIsUsedAndItsReplacementGetsTheConfigAgain() {
    CommandInterceptor interceptor = CommandInterceptor.builder().command(UNARY, COMMAND)
        .config(UNARY, config().timeoutMillis(4321).build()).build();
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = blocking(interceptor);
    try {
      stub.unaryRpc(TestService.request("one"));
      assertThat(Breakwater.runtime().snapshot(COMMAND).cumulativeCount(EventType.SUCCESS))
          .isEqualTo(1);
      assertThat(Breakwater.runtime().config(COMMAND).timeoutMillis()).isEqualTo(4321);

      Breakwater.shutdown();
      stub.unaryRpc(TestService.request("two"));

      assertThat(Breakwater.runtime().snapshot(COMMAND).cumulativeCount(EventType.SUCCESS))
          .isEqualTo(1);
      assertThat(Breakwater.runtime().config(COMMAND).timeoutMillis()).isEqualTo(4321);
      assertThat(Breakwater.runtime().config(COMMAND).group())
          .isEqualTo("grpc.testing.SimpleService");
    } finally {
      Breakwater.shutdown();
    }
  }

  @Test
  void serverFailureIsAnsweredByTheFallbackWithTheRequestAndTheStatus() {
    service.fail(Status.UNAVAILABLE.withDescription("down for test"), null);

    SimpleResponse response = blocking(interceptor(config().build(), true))
        .unaryRpc(TestService.request("world"));

    assertThat(response.getResponseMessage()).isEqualTo("fallback for world");
    assertThat(fallbackCalls).containsExactly("world FAILED");
    assertThat(fallbackCauses.get(0)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(snapshot().cumulativeCount(EventType.FAILURE)).isEqualTo(1);
    assertThat(snapshot().cumulativeCount(EventType.FALLBACK_SUCCESS)).isEqualTo(1);
  }

  @Test
  void failureWithoutFallbackKeepsTheServerStatusAndTrailers() {
    service.fail(Status.DATA_LOSS.withDescription("disk ate it"), "detail-1");

    assertThatThrownBy(() -> blocking(interceptor(config().build(), false))
        .unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DATA_LOSS);
          assertThat(e.getStatus().getDescription())
              .contains("disk ate it").contains(COMMAND).contains("no fallback");
          assertThat(e.getTrailers().get(TestService.DETAIL)).isEqualTo("detail-1");
        });
    assertThat(snapshot().cumulativeCount(EventType.FAILURE)).isEqualTo(1);
    assertThat(snapshot().cumulativeCount(EventType.FALLBACK_MISSING)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(names = {"INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
      "UNAUTHENTICATED", "FAILED_PRECONDITION", "OUT_OF_RANGE"})
  void callerFaultReachesTheCallerUnchangedWithoutFallbackOrHealthCount(Status.Code code) {
    service.fail(Status.fromCode(code).withDescription("your fault"), "detail-2");

    assertThatThrownBy(() -> blocking(interceptor(config().build(), true))
        .unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).isEqualTo("your fault");
          assertThat(e.getTrailers().get(TestService.DETAIL)).isEqualTo("detail-2");
        });
    assertThat(fallbackCalls).isEmpty();
    assertThat(snapshot().cumulativeCount(EventType.BAD_REQUEST)).isEqualTo(1);
    assertThat(snapshot().cumulativeCount(EventType.FAILURE)).isZero();
    assertThat(snapshot().health().total()).isZero();
  }

  @Test
  void hangingServerIsAnsweredByTheFallbackWithinTheTimeoutAndItsCallIsCancelled() {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub =
        connected(interceptor(config().timeoutMillis(300).build(), true));
    warmUp(stub);
    service.mode = TestService.Mode.HANG;

    long start = System.nanoTime();
    SimpleResponse response = stub.unaryRpc(TestService.request("world"));
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(response.getResponseMessage()).isEqualTo("fallback for world");
    assertThat(tookMillis).isBetween(250L, 300L + 700L);
    assertThat(fallbackCalls).containsExactly("world TIMED_OUT");
    assertThat(fallbackCauses.get(0)).isInstanceOf(TimeoutException.class);
    assertThat(snapshot().cumulativeCount(EventType.TIMEOUT)).isEqualTo(1);
    assertThat(service.received).hasValue(2);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.cancelled).hasValue(1));
  }

  @Test
  void timeoutWithoutFallbackIsDeadlineExceededNamingTheCommand() {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub =
        connected(interceptor(config().timeoutMillis(200).build(), false));
    warmUp(stub);
    service.mode = TestService.Mode.HANG;

    assertThatThrownBy(() -> stub.unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getStatus().getDescription())
              .contains(COMMAND).contains("timed").contains("200 ms");
        });
    assertThat(service.received).hasValue(2);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.cancelled).hasValue(1));
  }

  @Test
  void openCircuitAnswersWithoutReachingTheServerAndClosesAfterHealing() {
    service.fail(Status.INTERNAL.withDescription("broken"), null);
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = blocking(interceptor(config()
        .requestVolumeThreshold(4).errorThresholdPercentage(50).sleepWindowMillis(300)
        .build(), true));

    for (int i = 0; i < 4; i++) {
      stub.unaryRpc(TestService.request("call " + i));
    }
    assertThat(runtime.circuitState(COMMAND)).isEqualTo(CircuitState.OPEN);
    assertThat(service.received).hasValue(4);

    for (int i = 0; i < 10; i++) {
      assertThat(stub.unaryRpc(TestService.request("refused")).getResponseMessage())
          .isEqualTo("fallback for refused");
    }
    assertThat(service.received).hasValue(4);
    assertThat(snapshot().cumulativeCount(EventType.SHORT_CIRCUITED)).isEqualTo(10);
    assertThat(fallbackCalls).endsWith("refused SHORT_CIRCUITED");
    assertThat(fallbackCauses.get(fallbackCauses.size() - 1)).isNull();

    service.mode = TestService.Mode.ANSWER;
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(
        () -> stub.unaryRpc(TestService.request("again")).getResponseMessage(),
        "hello again"::equals);
    assertThat(runtime.circuitState(COMMAND)).isEqualTo(CircuitState.CLOSED);
    assertThat(service.received).hasValue(5);
  }

  @Test
  void shortCircuitWithoutFallbackIsUnavailableNamingTheCommand() {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub =
        blocking(interceptor(config().forceOpen(true).build(), false));

    assertThatThrownBy(() -> stub.unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription())
              .contains(COMMAND).contains("short-circuited").contains("circuit open");
        });
    assertThat(service.received).hasValue(0);
  }

  @Test
  void callBeyondTheConcurrencyLimitIsRejectedWithResourceExhausted() {
    service.mode = TestService.Mode.HANG;
    ManagedChannel channel =
        loopback.channel(port, interceptor(config().maxConcurrentRequests(1).build(), false));
    Future<SimpleResponse> first = SimpleServiceGrpc.newFutureStub(channel)
        .unaryRpc(TestService.request("first"));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.received).hasValue(1));

    assertThatThrownBy(() -> SimpleServiceGrpc.newBlockingStub(channel)
        .unaryRpc(TestService.request("second")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(e.getStatus().getDescription()).contains(COMMAND).contains("semaphore");
        });
    assertThat(service.received).hasValue(1);
    assertThat(snapshot().cumulativeCount(EventType.SEMAPHORE_REJECTED)).isEqualTo(1);
    first.cancel(true);
  }

  @Test
  void cancellingTheCallCancelsTheServerCallAndIsNotAFailure() {
    service.mode = TestService.Mode.HANG;
    ManagedChannel channel = loopback.channel(port, interceptor(config().build(), true));
    Future<SimpleResponse> call = SimpleServiceGrpc.newFutureStub(channel)
        .unaryRpc(TestService.request("world"));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.received).hasValue(1));

    call.cancel(true);

    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.cancelled).hasValue(1));
    assertThat(snapshot().cumulativeCount(EventType.CANCELLED)).isEqualTo(1);
    assertThat(snapshot().cumulativeCount(EventType.FAILURE)).isZero();
    assertThat(snapshot().cumulativeCount(EventType.TIMEOUT)).isZero();
    assertThat(fallbackCalls).isEmpty();
  }

  @Test
  void cancelledCallerContextCancelsTheServerCallWithoutCountingAFailure() throws Exception {
    service.mode = TestService.Mode.HANG;
    SimpleServiceGrpc.SimpleServiceBlockingStub stub =
        blocking(interceptor(config().timeoutMillis(5000).build(), true));
    Context.CancellableContext context = Context.current().withCancellation();
    List<Throwable> thrown = new ArrayList<>();
    Thread caller = new Thread(() -> context.run(() -> {
      try {
        stub.unaryRpc(TestService.request("world"));
      } catch (StatusRuntimeException e) {
        thrown.add(e);
      }
    }), "test-caller");
    caller.start();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.received).hasValue(1));

    context.cancel(null);
    caller.join(5000);

    assertThat(thrown).singleElement().isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(
        () -> assertThat(service.cancelled).hasValue(1));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
        snapshot().cumulativeCount(EventType.BAD_REQUEST)
            + snapshot().cumulativeCount(EventType.CANCELLED)).isEqualTo(1));
    assertThat(snapshot().cumulativeCount(EventType.FAILURE)).isZero();
    assertThat(fallbackCalls).isEmpty();
  }

  @Test
  void fallbackThrowingAStatusClosesTheCallWithThatStatus() {
    service.fail(Status.UNAVAILABLE, null);
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime)
        .command(UNARY, COMMAND).config(UNARY, config().build())
        .fallback(UNARY, (request, kind, cause) -> {
          throw Status.ABORTED.withDescription("chosen by fallback").asRuntimeException();
        })
        .build();

    assertThatThrownBy(() -> blocking(interceptor).unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
          assertThat(e.getStatus().getDescription()).isEqualTo("chosen by fallback");
        });
    assertThat(snapshot().cumulativeCount(EventType.FALLBACK_FAILURE)).isEqualTo(1);
  }

  @Test
  void fallbackReturningNullIsAFallbackFailureNamingTheCommand() {
    service.fail(Status.UNAVAILABLE, null);
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime)
        .command(UNARY, COMMAND).config(UNARY, config().build())
        .fallback(UNARY, (request, kind, cause) -> null)
        .build();

    assertThatThrownBy(() -> blocking(interceptor).unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains(COMMAND).contains("fallback failed");
        });
    assertThat(snapshot().cumulativeCount(EventType.FALLBACK_FAILURE)).isEqualTo(1);
  }

  @Test
  void streamingCallsPassThroughWithoutACommand() {
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime).build();
    Iterator<SimpleResponse> responses = SimpleServiceGrpc
        .newBlockingStub(loopback.channel(port, interceptor))
        .serverStreamingRpc(TestService.request("part"));

    List<String> texts = new ArrayList<>();
    responses.forEachRemaining(r -> texts.add(r.getResponseMessage()));

    assertThat(texts).containsExactly("part 1", "part 2", "part 3");
    assertThat(runtime.snapshot().commands()).isEmpty();
  }

  @Test
  void builderRefusesStreamingMethodsAndBlankNamesNamingTheMethod() {
    CommandInterceptor.Builder b = CommandInterceptor.builder();

    assertThatThrownBy(() -> b.config(SimpleServiceGrpc.getServerStreamingRpcMethod(),
        CommandConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grpc.testing.SimpleService/ServerStreamingRpc")
        .hasMessageContaining("SERVER_STREAMING");
    assertThatThrownBy(() -> b.command(UNARY, " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("grpc.testing.SimpleService/UnaryRpc");
    assertThatThrownBy(() -> b.fallback(UNARY, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("grpc.testing.SimpleService/UnaryRpc");
  }

  @Test
  void closedRuntimeClosesTheCallWithAnInternalStatusInsteadOfHanging() {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = blocking(interceptor(config().build(),
        true));
    runtime.close();

    assertThatThrownBy(() -> stub.withDeadlineAfter(5, TimeUnit.SECONDS)
        .unaryRpc(TestService.request("world")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).contains(COMMAND).contains("closed");
        });
    assertThat(service.received).hasValue(0);
  }
}
