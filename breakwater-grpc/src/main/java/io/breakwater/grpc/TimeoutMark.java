package io.breakwater.grpc;

import io.grpc.CallOptions;

/**
 * Set by a command that gives up on its call because it timed out, before it cancels the call on
 * the wire. It travels in the call options to the instance balancer's stream tracer, which reads
 * it when the stream closes: a call cancelled because the instance did not answer in time is that
 * instance's failure, one the caller cancelled is not. The status alone cannot tell them apart:
 * with retries on (gRPC's default) the stream closes as "thrown away", whatever the reason.
 */
final class TimeoutMark {

  static final CallOptions.Key<TimeoutMark> KEY =
      CallOptions.Key.create("io.breakwater.grpc.command-timeout");

  private volatile boolean timedOut;

  void set() {
    timedOut = true;
  }

  boolean isSet() {
    return timedOut;
  }
}
