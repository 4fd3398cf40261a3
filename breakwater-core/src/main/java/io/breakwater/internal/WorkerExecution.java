package io.breakwater.internal;

import io.breakwater.CommandConfig;
import io.breakwater.CommandException;
import io.breakwater.Fallback;
import io.breakwater.FailureKind;
import io.breakwater.Isolation;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One execution that runs on a worker (a pool thread, or a virtual thread), while its caller
 * either waits for it ({@code future == null}) or holds a future.
 *
 * <p>States: QUEUED until a worker picks it up, RUNNING while {@code run} runs, then COMPLETED,
 * TIMED_OUT or CANCELLED, whichever happens first; a CAS decides. The caller (or the timer) that
 * times the execution out while it runs interrupts the worker through INTERRUPTING, and the
 * worker waits that state out before it clears its interrupt flag, so the interrupt never leaks
 * into the next task the worker runs. A timed-out caller gets its answer at the timeout; the
 * worker's late result is dropped. A worker that picks up an execution already timed out skips
 * it.
 *
 * <p>Who finishes (records the outcome and runs the fallback): the waiting caller; or, behind a
 * future, the worker on completion and a fallback thread on timeout (never the timer thread,
 * which must stay free for other timeouts).
 */
final class WorkerExecution<T> extends AtomicInteger implements Runnable {

  private static final long serialVersionUID = 1L;
  static final int QUEUED = 0;
  static final int RUNNING = 1;
  static final int COMPLETED = 2;
  static final int TIMED_OUT = 3;
  static final int CANCELLED = 4;
  static final int INTERRUPTING = 5;

  private final transient CommandPath path;
  private final transient CommandState cmd;
  private final transient CommandConfig config;
  private final int callerStripe;
  private final long start;
  private final long token;
  private final transient Callable<? extends T> run;
  private final transient Fallback<T> fallback;
  private final transient Trace trace;
  private final transient CancellableFuture<T> future;
  private final transient Propagation.Captured context;

  /** The pool that admitted this execution, or null (virtual isolation). */
  private transient volatile ThreadPoolIsolation pool;
  private transient volatile Thread runner;
  private transient volatile Thread waiter;
  private transient volatile ScheduledFuture<?> timer;
  private transient T value;
  private transient Throwable thrown;

  WorkerExecution(
      CommandPath path, CommandState cmd, CommandConfig config, int callerStripe, long start,
      long token, Callable<? extends T> run, Fallback<T> fallback, Trace trace,
      CancellableFuture<T> future, Propagation.Captured context) {
    this.path = path;
    this.context = context;
    this.cmd = cmd;
    this.config = config;
    this.callerStripe = callerStripe;
    this.start = start;
    this.token = token;
    this.run = run;
    this.fallback = fallback;
    this.trace = trace;
    this.future = future;
    if (future != null) {
      future.onCancel(interrupt -> cancel(interrupt && config.interruptOnFutureCancel()));
    }
  }

  CommandState command() {
    return cmd;
  }

  CommandConfig config() {
    return config;
  }

  int callerStripe() {
    return callerStripe;
  }

  long start() {
    return start;
  }

  /** The event to record when the dispatcher refuses this execution. */
  EventType rejection() {
    return config.isolation() == Isolation.VIRTUAL
        ? EventType.SEMAPHORE_REJECTED : EventType.THREAD_POOL_REJECTED;
  }

  CompletableFuture<T> future() {
    return future;
  }

  void admittedBy(ThreadPoolIsolation pool) {
    this.pool = pool;
  }

  // ---------------------------------------------------------------------------------------
  // The worker's side
  // ---------------------------------------------------------------------------------------

  @Override
  public void run() {
    boolean virtual = config.isolation() == Isolation.VIRTUAL;
    ThreadPoolIsolation admitting = pool;
    if (!compareAndSet(QUEUED, RUNNING)) {
      // Timed out or cancelled before a worker was free: give the bound back, run nothing.
      if (virtual) {
        cmd.executionPermits.release(callerStripe);
      } else if (admitting != null) {
        admitting.finished(false);
      }
      return;
    }
    runner = Thread.currentThread();
    int stripe = Stripes.current();
    if (!virtual) {
      cmd.executionPermits.enter(stripe, cmd.metrics.bucket());
      if (admitting != null) {
        admitting.started();
      }
    }
    long t0 = path.now();
    try (RequestContext.Scope scope = context.attach()) {
      value = run.call();
    } catch (Throwable t) {
      thrown = t;
    }
    long t1 = path.now();
    // The bound is given back before the caller is told, so that a caller calling again at
    // once finds room (see ThreadPoolIsolation).
    if (virtual) {
      cmd.executionPermits.release(callerStripe);
    } else {
      cmd.executionPermits.exit(stripe);
      if (admitting != null) {
        admitting.finished(true);
      }
    }
    path.recordExecution(cmd, t1 - t0, t1, trace);

    if (compareAndSet(RUNNING, COMPLETED)) {
      runner = null;
      if (future != null) {
        try (RequestContext.Scope scope = context.attach()) {
          finishCompleted(t1);
        }
      } else {
        Thread w = waiter;
        if (w != null) {
          LockSupport.unpark(w);
        }
      }
      return;
    }
    while (get() == INTERRUPTING) {
      Thread.onSpinWait();
    }
    Thread.interrupted(); // an interrupt sent to this execution, which is over
    runner = null;
  }

  // ---------------------------------------------------------------------------------------
  // The waiting caller's side
  // ---------------------------------------------------------------------------------------

  /** Waits at most the timeout, then finishes the execution on the caller's thread. */
  T awaitAnswer() {
    waiter = Thread.currentThread();
    long timeout = config.timeoutEnabled() ? config.timeoutMillis() * 1_000_000L : -1;
    long deadline = System.nanoTime() + timeout;
    int state;
    while ((state = get()) == QUEUED || state == RUNNING) {
      if (timeout < 0) {
        LockSupport.park(this);
      } else {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          state = timeOut();
          break;
        }
        LockSupport.parkNanos(this, remaining);
      }
      if (Thread.interrupted()) {
        if (cancel(config.interruptOnFutureCancel())) {
          Thread.currentThread().interrupt();
          path.mark(cmd, Stripes.current(), trace, EventType.EXCEPTION_THROWN);
          throw new CommandException(cmd.name, FailureKind.FAILED,
              cmd.name + " was interrupted while waiting for its execution",
              new InterruptedException(), null);
        }
        Thread.currentThread().interrupt();
      }
    }
    long now = path.now();
    if (state == COMPLETED) {
      return finish(now);
    }
    return path.timedOut(cmd, config, start, now, token, fallback, trace);
  }

  private T finish(long now) {
    if (thrown == null) {
      return path.succeeded(cmd, start, now, token, value, trace, false);
    }
    return path.failed(cmd, config, start, now, token, thrown, fallback, trace, false);
  }

  /**
   * The runtime is closing: a caller still waiting is answered now, as at its timeout (the
   * worker is interrupted if configured).
   */
  void timeOutNow() {
    if (timeOut() == TIMED_OUT) {
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }
  }

  /**
   * Marks the execution timed out, interrupting its worker if configured, and returns the state
   * it ends in: TIMED_OUT, or COMPLETED when the worker finished first.
   */
  int timeOut() {
    for (;;) {
      int state = get();
      if (state == QUEUED) {
        if (compareAndSet(QUEUED, TIMED_OUT)) {
          return TIMED_OUT;
        }
      } else if (state == RUNNING) {
        if (config.interruptOnTimeout()) {
          if (compareAndSet(RUNNING, INTERRUPTING)) {
            Thread r = runner;
            if (r != null) {
              r.interrupt();
            }
            set(TIMED_OUT);
            return TIMED_OUT;
          }
        } else if (compareAndSet(RUNNING, TIMED_OUT)) {
          return TIMED_OUT;
        }
      } else {
        return state;
      }
    }
  }

  /**
   * The execution will never start (its pool closed with it still queued): answer it as timed
   * out now, so its caller does not wait for the timeout.
   */
  void abandon() {
    if (!compareAndSet(QUEUED, TIMED_OUT)) {
      return;
    }
    if (future == null) {
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    } else {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      long now = path.now();
      complete(() -> path.timedOut(cmd, config, start, now, token, fallback, trace));
    }
  }

  /** Cancels an execution that has not ended; true when this call cancelled it. */
  boolean cancel(boolean interrupt) {
    for (;;) {
      int state = get();
      if (state == QUEUED) {
        if (compareAndSet(QUEUED, CANCELLED)) {
          break;
        }
      } else if (state == RUNNING) {
        if (interrupt) {
          if (compareAndSet(RUNNING, INTERRUPTING)) {
            Thread r = runner;
            if (r != null) {
              r.interrupt();
            }
            set(CANCELLED);
            break;
          }
        } else if (compareAndSet(RUNNING, CANCELLED)) {
          break;
        }
      } else {
        return false;
      }
    }
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
    path.cancelled(cmd, config, start, token, trace);
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Behind a future
  // ---------------------------------------------------------------------------------------

  void armTimer(Timer t) {
    if (config.timeoutEnabled()) {
      timer = t.schedule(this::onTimer, config.timeoutMillis() * 1_000_000L);
      if (get() >= COMPLETED && get() != INTERRUPTING) {
        timer.cancel(false); // finished before the timer was armed
      }
    }
  }

  private void onTimer() {
    if (timeOut() == TIMED_OUT) {
      long now = path.now();
      path.engine().helperExecutor().execute(() -> {
        try (RequestContext.Scope scope = context.attach()) {
          complete(() -> path.timedOut(cmd, config, start, now, token, fallback, trace));
        }
      });
    }
  }

  private void finishCompleted(long now) {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
    complete(() -> finish(now));
  }

  private void complete(java.util.function.Supplier<T> answer) {
    try {
      future.completeAnswer(answer.get());
    } catch (Throwable t) {
      future.completeFailure(t);
    }
  }
}
