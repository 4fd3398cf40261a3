package io.breakwater.collapse;

/**
 * One caller's request inside a batch: its argument, and the means to give that caller its own
 * answer or its own error.
 *
 * @param <R> the caller's answer type
 * @param <A> the request argument type
 */
public interface CollapsedRequest<R, A> {

  A argument();

  /** Answers this caller. Later calls for the same request are ignored. */
  void setResponse(R response);

  /** Fails this caller alone. Later calls for the same request are ignored. */
  void setException(Throwable error);

  /** Whether this caller has its answer or error. */
  boolean isComplete();
}
