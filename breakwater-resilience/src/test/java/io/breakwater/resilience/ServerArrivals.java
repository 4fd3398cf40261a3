package io.breakwater.resilience;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.ArrayList;
import java.util.List;

/** Notes the time every call reaches the server: what the server really saw, and when. */
final class ServerArrivals implements ServerInterceptor {

  private final List<Long> nanos = new ArrayList<>();

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    synchronized (nanos) {
      nanos.add(System.nanoTime());
    }
    return next.startCall(call, headers);
  }

  int count() {
    synchronized (nanos) {
      return nanos.size();
    }
  }

  /** Arrival times from index {@code from} on. */
  List<Long> since(int from) {
    synchronized (nanos) {
      return new ArrayList<>(nanos.subList(from, nanos.size()));
    }
  }
}
