package io.breakwater.internal;

import io.breakwater.CommandConfig;
import io.breakwater.Fallback;
import io.breakwater.context.RequestContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One execution whose {@code run} is itself asynchronous: it returns a stage right away and
 * completes it later on some thread of its own. The execution holds a semaphore permit from the
 * call until the stage completes, times out or is cancelled; whichever happens first wins a CAS
 * and finishes the execution. On timeout the stage is cancelled (so a gRPC call, for instance,
 * is cancelled on the wire) and the fallback runs on a fallback thread.
 */
final class AsyncExecution<T> extends AtomicInteger {

  private static final long serialVersionUID = 1L;
  private static final int RUNNING = 0;
  private static final int COMPLETED = 1;
  private static final int TIMED_OUT = 2;
  private static final int CANCELLED = 3;

  private final transient CommandPath path;
  private final transient CommandState cmd;
  private final transient CommandConfig config;
  private final int permitStripe;
  private final long start;
  private final long token;
  private final transient Fallback<T> fallback;
  private final transient Trace trace;
  private final transient CancellableFuture<T> future = new CancellableFuture<>();
  private final transient Propagation.Captured context;
  private transient volatile CompletionStage<? extends T> source;
  private transient volatile ScheduledFuture<?> timer;

  AsyncExecution(
      CommandPath path, CommandState cmd, CommandConfig config, int permitStripe, long start,
      long token, Fallback<T> fallback, Trace trace, Propagation.Captured context) {
    this.path = path;
    this.context = context;
    this.cmd = cmd;
    this.config = config;
    this.permitStripe = permitStripe;
    this.start = start;
    this.token = token;
    this.fallback = fallback;
    this.trace = trace;
    future.onCancel(interrupt -> cancel());
  }

  CompletableFuture<T> future() {
    return future;
  }

  void start(Supplier<? extends CompletionStage<? extends T>> run, Timer t) {
    if (config.timeoutEnabled()) {
      try {
        timer = t.schedule(this::onTimer, config.timeoutMillis() * 1_000_000L);
      } catch (RuntimeException closed) {
        set(CANCELLED);
        cmd.executionPermits.release(permitStripe);
        throw closed;
      }
    }
    CompletionStage<? extends T> stage;
    try {
      stage = run.get();
      if (stage == null) {
        throw new NullPointerException(cmd.name + ": run returned a null CompletionStage");
      }
    } catch (Throwable e) {
      onComplete(null, e);
      return;
    }
    source = stage;
    if (get() != RUNNING) {
      cancelSource(config.interruptOnTimeout());
    }
    stage.whenComplete(this::onComplete);
  }

  private void onComplete(T value, Throwable thrown) {
    if (!compareAndSet(RUNNING, COMPLETED)) {
      return;
    }
    cancelTimer();
    cmd.executionPermits.release(permitStripe);
    long end = path.now();
    try (RequestContext.Scope scope = context.attach()) {
      complete(() -> thrown == null
          ? path.succeeded(cmd, start, end, token, value, trace, true)
          : path.failed(cmd, config, start, end, token, thrown, fallback, trace, true));
    }
  }

  private void onTimer() {
    if (!compareAndSet(RUNNING, TIMED_OUT)) {
      return;
    }
    cmd.executionPermits.release(permitStripe);
    long now = path.now();
    path.recordExecution(cmd, now - start, now, trace);
    cancelSource(config.interruptOnTimeout());
    path.engine().helperExecutor().execute(() -> {
      try (RequestContext.Scope scope = context.attach()) {
        complete(() -> path.timedOut(cmd, config, start, now, token, fallback, trace));
      }
    });
  }

  private boolean cancel() {
    if (!compareAndSet(RUNNING, CANCELLED)) {
      return false;
    }
    cancelTimer();
    cmd.executionPermits.release(permitStripe);
    cancelSource(true);
    path.cancelled(cmd, config, start, token, trace);
    return true;
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
  }

  private void cancelSource(boolean interrupt) {
    CompletionStage<? extends T> s = source;
    if (s == null) {
      return;
    }
    try {
      s.toCompletableFuture().cancel(interrupt);
    } catch (UnsupportedOperationException notCancellable) {
      // A stage that cannot be turned into a future cannot be cancelled; its result is ignored.
    }
  }

  private void complete(Supplier<T> answer) {
    try {
      future.completeAnswer(answer.get());
    } catch (Throwable t) {
      future.completeFailure(t);
    }
  }
}
