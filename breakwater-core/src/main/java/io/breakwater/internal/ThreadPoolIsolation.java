package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded pool of daemon threads shared by the thread-isolated commands with one pool key.
 *
 * <p>With no queue (the default) a call is handed directly to an idle thread or rejected. With
 * a queue, a call is rejected once the queue holds {@code queueSizeRejectionThreshold} calls,
 * even if the queue could take more: the threshold can change at run time, the capacity only
 * by replacing the executor, which this class does when asked (the old executor finishes what it
 * has). Core and maximum sizes change in the order that keeps core at or below maximum, so
 * growing and shrinking both work.
 */
final class ThreadPoolIsolation implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ThreadPoolIsolation.class);
  private static final int EXECUTED = 0;
  private static final int REJECTED = 1;

  private final String key;
  private final Clock clock;
  private final AtomicInteger threadNumber = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  private final StripedCounters counts = new StripedCounters(2);
  private volatile RollingWindow window;
  private volatile AtomicLongArray peaks;
  private volatile ThreadPoolConfig config;
  private volatile ThreadPoolExecutor executor;

  ThreadPoolIsolation(String key, Clock clock, ThreadPoolConfig config) {
    this.key = key;
    this.clock = clock;
    this.config = config;
    this.executor = newExecutor(config);
    this.window = newWindow(config);
  }

  String key() {
    return key;
  }

  ThreadPoolConfig config() {
    return config;
  }

  /**
   * Hands {@code task} to a worker, or returns false when the pool refuses it (all threads busy
   * and no queue room, or the queue at its rejection threshold).
   */
  boolean submit(Runnable task, int stripe, long now) {
    RollingWindow w = window;
    w.maybeRoll(now);
    ThreadPoolConfig c = config;
    ThreadPoolExecutor e = executor;
    if (c.maxQueueSize() > 0 && e.getQueue().size() >= c.queueSizeRejectionThreshold()) {
      counts.increment(stripe, REJECTED);
      return false;
    }
    try {
      e.execute(new Counted(task));
      return true;
    } catch (RejectedExecutionException rejected) {
      counts.increment(stripe, REJECTED);
      return false;
    }
  }

  /** A task as the executor holds it, so that close can tell what it drops. */
  private final class Counted implements Runnable {
    final Runnable task;

    Counted(Runnable task) {
      this.task = task;
    }

    @Override
    public void run() {
      int nowActive = active.incrementAndGet();
      notePeak(nowActive);
      try {
        task.run();
      } finally {
        active.decrementAndGet();
        counts.increment(Stripes.current(), EXECUTED);
      }
    }
  }

  private void notePeak(int nowActive) {
    AtomicLongArray ring = peaks;
    RollingWindow w = window;
    long bucket = w.currentBucket();
    int slot = (int) (bucket % (ring.length() / 2)) * 2;
    long held = ring.get(slot);
    if (held != bucket) {
      if (ring.compareAndSet(slot, held, bucket)) {
        ring.set(slot + 1, nowActive);
        return;
      }
    }
    long peak;
    while (nowActive > (peak = ring.get(slot + 1))) {
      if (ring.compareAndSet(slot + 1, peak, nowActive)) {
        return;
      }
    }
  }

  /** Applies a new configuration; sizes change in place, a new queue capacity swaps executors. */
  synchronized void reconfigure(ThreadPoolConfig next) {
    ThreadPoolConfig previous = config;
    if (next.equals(previous)) {
      return;
    }
    if (next.maxQueueSize() != previous.maxQueueSize()) {
      ThreadPoolExecutor old = executor;
      executor = newExecutor(next);
      old.shutdown();
      log.info("Thread pool {}: queue size {} -> {}, executor replaced", key,
          previous.maxQueueSize(), next.maxQueueSize());
    } else {
      resize(executor, next.coreSize(), next.effectiveMaximumSize());
      executor.setKeepAliveTime(next.keepAliveMinutes(), TimeUnit.MINUTES);
    }
    if (next.rollingStatsBuckets() != previous.rollingStatsBuckets()
        || next.rollingStatsWindowMillis() != previous.rollingStatsWindowMillis()) {
      window = newWindow(next);
    }
    config = next;
  }

  private static void resize(ThreadPoolExecutor e, int core, int max) {
    // The executor refuses core > max at every step, so grow max first and shrink it last.
    if (max >= e.getMaximumPoolSize()) {
      e.setMaximumPoolSize(max);
      e.setCorePoolSize(core);
    } else {
      e.setCorePoolSize(core);
      e.setMaximumPoolSize(max);
    }
  }

  ThreadPoolSnapshot snapshot() {
    long now = clock.nanoTime();
    RollingWindow w = window;
    long[] rolling = new long[2];
    w.windowCounts(now, rolling);
    long[] cumulative = new long[2];
    w.cumulativeCounts(cumulative);
    ThreadPoolExecutor e = executor;
    return new ThreadPoolSnapshot(key, clock.currentTimeMillis(), e.getActiveCount(),
        e.getCompletedTaskCount(), e.getCorePoolSize(), e.getLargestPoolSize(),
        e.getMaximumPoolSize(), e.getPoolSize(), e.getQueue().size(), e.getTaskCount(),
        rolling[EXECUTED], rollingMaxActive(w), rolling[REJECTED], cumulative[EXECUTED],
        cumulative[REJECTED], config);
  }

  private long rollingMaxActive(RollingWindow w) {
    AtomicLongArray ring = peaks;
    long current = w.currentBucket();
    long max = 0;
    for (int i = 0; i < ring.length(); i += 2) {
      long bucket = ring.get(i);
      if (bucket > current - w.buckets() && bucket <= current) {
        max = Math.max(max, ring.get(i + 1));
      }
    }
    return Math.max(max, active.get());
  }

  /** Threads currently alive in the pool. */
  int poolSize() {
    return executor.getPoolSize();
  }

  /**
   * Stops the pool: running executions are interrupted, queued ones never start and are
   * answered as timed out at once (their fallback runs), so no caller waits for a task that
   * will not run.
   */
  @Override
  public void close() {
    for (Runnable dropped : executor.shutdownNow()) {
      if (dropped instanceof Counted && ((Counted) dropped).task instanceof WorkerExecution) {
        ((WorkerExecution<?>) ((Counted) dropped).task).abandon();
      }
    }
  }

  boolean awaitTermination(long millis) throws InterruptedException {
    return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }

  private ThreadPoolExecutor newExecutor(ThreadPoolConfig c) {
    BlockingQueue<Runnable> queue = c.maxQueueSize() > 0
        ? new LinkedBlockingQueue<>(c.maxQueueSize())
        : new SynchronousQueue<>();
    ThreadPoolExecutor e = new ThreadPoolExecutor(c.coreSize(), c.effectiveMaximumSize(),
        c.keepAliveMinutes(), TimeUnit.MINUTES, queue, r -> {
          Thread t = new Thread(r, "breakwater-" + key + "-" + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    return e;
  }

  private RollingWindow newWindow(ThreadPoolConfig c) {
    AtomicLongArray ring = new AtomicLongArray(2 * (c.rollingStatsBuckets() + 1));
    for (int i = 0; i < ring.length(); i += 2) {
      ring.set(i, -1);
    }
    peaks = ring;
    return new RollingWindow(counts, clock, c.rollingStatsWindowMillis(),
        c.rollingStatsBuckets());
  }
}
