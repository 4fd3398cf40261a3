package io.breakwater.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The timeout of an execution that runs on its caller's thread (semaphore isolation). The timer
 * can mark the execution timed out and interrupt the caller, but cannot make the caller return
 * before {@code run} does: a {@code run} that ignores interrupts holds its caller until it
 * returns, and only then does the caller get the fallback.
 *
 * <p>Interrupting goes through a hand-shake (RUNNING, INTERRUPTING, TIMED_OUT) so that an
 * interrupt meant for this execution never lands on whatever the caller does next: the caller
 * waits out INTERRUPTING and then clears the flag.
 */
final class CallerTimeout extends AtomicInteger implements Runnable {

  private static final long serialVersionUID = 1L;
  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int TIMED_OUT = 2;
  private static final int INTERRUPTING = 3;

  private final transient Thread caller = Thread.currentThread();
  private final boolean interrupt;
  private transient ScheduledFuture<?> scheduled;

  private CallerTimeout(boolean interrupt) {
    this.interrupt = interrupt;
  }

  static CallerTimeout arm(Timer timer, long timeoutNanos, boolean interrupt) {
    CallerTimeout t = new CallerTimeout(interrupt);
    t.scheduled = timer.schedule(t, timeoutNanos);
    return t;
  }

  /** Runs on the timer thread at the deadline. */
  @Override
  public void run() {
    if (!interrupt) {
      compareAndSet(RUNNING, TIMED_OUT);
    } else if (compareAndSet(RUNNING, INTERRUPTING)) {
      caller.interrupt();
      set(TIMED_OUT);
    }
  }

  /** Called by the caller once {@code run} returned: true when the deadline passed first. */
  boolean disarm() {
    if (compareAndSet(RUNNING, DONE)) {
      scheduled.cancel(false);
      return false;
    }
    while (get() == INTERRUPTING) {
      Thread.onSpinWait();
    }
    if (interrupt) {
      Thread.interrupted(); // the interrupt was ours, for a run that is over
    }
    return true;
  }
}
