package io.breakwater.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one timer thread of a runtime, shared by every timeout. It only flips states and
 * interrupts threads; it never runs user code (fallbacks run elsewhere), so a slow fallback can
 * never delay another command's timeout. Started on first use, stopped by {@link #close()};
 * cancelled timeouts are removed from its queue at once rather than when they would have fired.
 */
final class Timer implements AutoCloseable {

  private static final AtomicInteger RUNTIMES = new AtomicInteger();

  private final String threadName = "breakwater-timer-" + RUNTIMES.incrementAndGet();
  private volatile ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;

  ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    if (closed) {
      throw new IllegalStateException("this Breakwater runtime is closed");
    }
    try {
      return executor().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      throw new IllegalStateException("this Breakwater runtime is closed", e);
    }
  }

  private ScheduledThreadPoolExecutor executor() {
    ScheduledThreadPoolExecutor e = executor;
    if (e != null) {
      return e;
    }
    synchronized (this) { // guards the lazy start; never held while a task runs
      if (closed) {
        throw new IllegalStateException("this Breakwater runtime is closed");
      }
      if (executor == null) {
        ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, r -> {
          Thread t = new Thread(r, threadName);
          t.setDaemon(true);
          return t;
        });
        created.setRemoveOnCancelPolicy(true);
        executor = created;
      }
      return executor;
    }
  }

  boolean started() {
    return executor != null;
  }

  @Override
  public void close() {
    ScheduledThreadPoolExecutor e;
    synchronized (this) {
      closed = true;
      e = executor;
    }
    if (e != null) {
      e.shutdownNow();
    }
  }
}
