package io.breakwater.internal;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread of a runtime, shared by every timeout and collapser window. Its tasks
 * only flip states, interrupt threads and hand work to other threads; they never run user code
 * (fallbacks run elsewhere), so a slow fallback can never delay another command's timeout.
 * Started on first use; cancelled timeouts leave its queue at once rather than when they would
 * have fired.
 *
 * <p>Closing fires every pending task at once instead of dropping it: an execution waiting for
 * its timeout gets its timeout answer (and its work is cancelled), a collapser batch waiting for
 * its window runs now. A closed runtime leaves nothing in flight hanging.
 */
final class Timer implements AutoCloseable {

  private final String threadName;
  private volatile ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;

  Timer(String threadName) {
    this.threadName = threadName;
  }

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
    if (e == null) {
      return;
    }
    // shutdown() refuses new tasks but, by default, still lets delayed ones run; running each
    // queued task here fires it now (a task fires once, whoever runs it first).
    e.shutdown();
    for (Object pending : e.getQueue().toArray()) {
      ((Runnable) pending).run();
    }
    e.shutdownNow();
  }
}
