package io.breakwater.grpc;

import io.grpc.Status;
import java.util.Set;

/**
 * What a closed call says about the instance that served it, for outlier ejection.
 *
 * <ul>
 *   <li><b>Failure</b>: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, DATA_LOSS,
 *       RESOURCE_EXHAUSTED, UNIMPLEMENTED, and CANCELLED when a Breakwater command cancelled the
 *       call because it timed out (see {@link TimeoutMark}). These are the answers (or the
 *       silence) of a server that is down, overloaded, broken or deployed wrong; another
 *       instance would likely do better.
 *   <li><b>Healthy</b>: OK, and the caller-fault codes (INVALID_ARGUMENT, NOT_FOUND,
 *       ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION, OUT_OF_RANGE)
 *       and ABORTED: a server that judged the request answered it, which is proof of life; any
 *       instance would have answered the same. A healthy call ends a run of failures.
 *   <li><b>Ignored</b>: CANCELLED by the caller (its context, its own cancel): it says nothing
 *       about the instance either way.
 * </ul>
 */
enum InstanceOutcome {
  HEALTHY, FAILURE, IGNORED;

  private static final Set<Status.Code> FAILURES = Set.of(
      Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.INTERNAL,
      Status.Code.UNKNOWN, Status.Code.DATA_LOSS, Status.Code.RESOURCE_EXHAUSTED,
      Status.Code.UNIMPLEMENTED);

  static InstanceOutcome of(Status status, boolean timedOutByCommand) {
    Status.Code code = status.getCode();
    if (FAILURES.contains(code)) {
      return FAILURE;
    }
    if (code == Status.Code.CANCELLED) {
      return timedOutByCommand ? FAILURE : IGNORED;
    }
    return HEALTHY;
  }
}
