package io.breakwater.example;

import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.example.proto.Response;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code example.service}: answers {@code Endpoint(Request{name})} with {@code "Hello " + name},
 * and has switches to misbehave on purpose, so that the demo and the tests can show what the
 * client's circuit breaker does about it. It counts every call that reaches it, which is how a
 * reader sees that an open circuit keeps calls away from a sick server.
 *
 * <p>Faults, checked in this order for each call: hanging (the call is held open and never
 * answered; no thread waits on it, and the client's cancel ends it), failing every call, failing
 * at random at the error rate; then the latency, slept on the handler thread, before the answer.
 * Failures are UNAVAILABLE, a status the client counts against the server's health. Every switch
 * may be flipped at any time from any thread.
 */
public final class ExampleServer extends ExampleServiceGrpc.ExampleServiceImplBase {

  private final AtomicLong callsReceived = new AtomicLong();
  private final AtomicLong callsCancelled = new AtomicLong();
  private volatile boolean failing;
  private volatile boolean hanging;
  private volatile double errorRate;
  private volatile Duration latency = Duration.ZERO;

  @Override
  public void endpoint(Request request, StreamObserver<Response> responses) {
    callsReceived.incrementAndGet();
    ServerCallStreamObserver<Response> call = (ServerCallStreamObserver<Response>) responses;
    call.setOnCancelHandler(callsCancelled::incrementAndGet);
    if (hanging) {
      return;
    }
    if (failing || (errorRate > 0 && ThreadLocalRandom.current().nextDouble() < errorRate)) {
      responses.onError(Status.UNAVAILABLE
          .withDescription("example.service failed on purpose (fault injection)")
          .asRuntimeException());
      return;
    }
    Duration delay = latency;
    if (!delay.isZero()) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        responses.onError(Status.CANCELLED.withDescription("server shutting down")
            .asRuntimeException());
        return;
      }
    }
    if (call.isCancelled()) {
      return; // the client gave up while we slept
    }
    responses.onNext(Response.newBuilder().setMsg("Hello " + request.getName()).build());
    responses.onCompleted();
  }

  /** Makes every call fail with UNAVAILABLE (true) or not (false). */
  public ExampleServer failEveryCall(boolean fail) {
    this.failing = fail;
    return this;
  }

  /** Makes every new call hang, never answered (true), or not (false). */
  public ExampleServer hang(boolean hang) {
    this.hanging = hang;
    return this;
  }

  /** The share of calls, 0.0 to 1.0, that fail at random. */
  public ExampleServer errorRate(double rate) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw new IllegalArgumentException("errorRate must be between 0.0 and 1.0, was " + rate);
    }
    this.errorRate = rate;
    return this;
  }

  /** How long each answered call waits before answering. */
  public ExampleServer latency(Duration latency) {
    Objects.requireNonNull(latency, "latency must not be null");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    this.latency = latency;
    return this;
  }

  /** Turns every fault off. */
  public ExampleServer heal() {
    failing = false;
    hanging = false;
    errorRate = 0;
    latency = Duration.ZERO;
    return this;
  }

  /** Calls that reached this server, answered or not. */
  public long callsReceived() {
    return callsReceived.get();
  }

  /** Calls that the client (or a shutdown) cancelled before they were answered. */
  public long callsCancelled() {
    return callsCancelled.get();
  }
}
