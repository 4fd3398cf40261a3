package io.breakwater.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.util.concurrent.atomic.AtomicInteger;

/** A SimpleService whose behaviour tests switch, and which counts what reached it. */
final class TestService extends SimpleServiceGrpc.SimpleServiceImplBase {

  enum Mode { ANSWER, FAIL, HANG }

  static final Metadata.Key<String> DETAIL =
      Metadata.Key.of("test-detail", Metadata.ASCII_STRING_MARSHALLER);

  final AtomicInteger received = new AtomicInteger();
  final AtomicInteger cancelled = new AtomicInteger();
  volatile Mode mode = Mode.ANSWER;
  volatile Status failure = Status.UNAVAILABLE.withDescription("test server failing");
  volatile String failureDetail;

  void fail(Status status, String detail) {
    failure = status;
    failureDetail = detail;
    mode = Mode.FAIL;
  }

  @Override
  public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    received.incrementAndGet();
    ServerCallStreamObserver<SimpleResponse> call =
        (ServerCallStreamObserver<SimpleResponse>) responses;
    call.setOnCancelHandler(cancelled::incrementAndGet);
    switch (mode) {
      case ANSWER:
        responses.onNext(response("hello " + request.getRequestMessage()));
        responses.onCompleted();
        break;
      case FAIL:
        Metadata trailers = new Metadata();
        if (failureDetail != null) {
          trailers.put(DETAIL, failureDetail);
        }
        responses.onError(failure.asRuntimeException(trailers));
        break;
      case HANG:
      default:
        break; // never answers; the call stays open until the client cancels it
    }
  }

  @Override
  public void serverStreamingRpc(
      SimpleRequest request, StreamObserver<SimpleResponse> responses) {
    received.incrementAndGet();
    for (int i = 1; i <= 3; i++) {
      responses.onNext(response(request.getRequestMessage() + " " + i));
    }
    responses.onCompleted();
  }

  static SimpleRequest request(String text) {
    return SimpleRequest.newBuilder().setRequestMessage(text).build();
  }

  static SimpleResponse response(String text) {
    return SimpleResponse.newBuilder().setResponseMessage(text).build();
  }
}
