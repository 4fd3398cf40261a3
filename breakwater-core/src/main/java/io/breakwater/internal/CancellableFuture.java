package io.breakwater.internal;

import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The future a caller holds for an execution that runs elsewhere. Cancelling it cancels the
 * execution (interrupting its thread only when the command is configured to) and records
 * {@code CANCELLED}.
 */
final class CancellableFuture<T> extends CompletableFuture<T> {

  private volatile Predicate<Boolean> onCancel = interrupt -> false;

  void onCancel(Predicate<Boolean> hook) {
    this.onCancel = hook;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (isDone()) {
      return false;
    }
    onCancel.test(mayInterruptIfRunning);
    return super.cancel(mayInterruptIfRunning);
  }

  void completeAnswer(T value) {
    super.complete(value);
  }

  void completeFailure(Throwable t) {
    super.completeExceptionally(t);
  }

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>();
  }
}
