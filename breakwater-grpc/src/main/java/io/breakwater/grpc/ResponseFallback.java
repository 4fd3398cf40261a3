package io.breakwater.grpc;

import io.breakwater.FailureKind;

/**
 * Answers a unary call in place of the server when the call's command failed, timed out, was
 * rejected or short-circuited. It never runs for a bad request (the caller's fault, see {@link
 * CommandInterceptor}).
 *
 * <p>Throwing a {@link io.grpc.StatusRuntimeException} from a fallback closes the call with that
 * status; throwing anything else closes it with the status the failure would have had without a
 * fallback. Returning null is a fallback failure.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
@FunctionalInterface
public interface ResponseFallback<ReqT, RespT> {

  /**
   * The response to give instead.
   *
   * @param request the request the caller sent
   * @param kind why the server's answer is missing
   * @param cause what the call ended with for {@link FailureKind#FAILED} (usually a {@link
   *     io.grpc.StatusRuntimeException}), a {@link java.util.concurrent.TimeoutException} for
   *     {@link FailureKind#TIMED_OUT}, null when the call never started
   */
  RespT apply(ReqT request, FailureKind kind, Throwable cause) throws Exception;
}
