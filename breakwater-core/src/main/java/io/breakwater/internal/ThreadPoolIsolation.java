package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded pool of daemon threads shared by the thread-isolated commands with one pool key.
 *
 * <p>The bound is kept by an admission count, not by the executor: an execution is admitted
 * while fewer than {@code maximum} threads' worth of executions (plus
 * {@code queueSizeRejectionThreshold} more when a queue is configured) are admitted, and it
 * gives its admission back the moment its {@code run} returns, before its caller is woken. A
 * plain {@code ThreadPoolExecutor} with a direct hand-off (Hystrix's design) wakes the caller
 * first, so a caller that calls again at once finds its worker not yet back at the queue and is
 * rejected although the pool has room: with as many callers as threads, most calls were
 * rejected. Here that call is admitted and waits the few microseconds until the worker is back.
 *
 * <p>The executor itself has an unbounded queue, which never holds more than the admission
 * bound allows; it keeps {@code coreSize} threads, and grows to the maximum when admitted work
 * outnumbers its threads (the queue refuses such a task so that the executor adds a thread);
 * threads above the core size die after {@code keepAliveMinutes} idle. Sizes change in the order
 * that keeps core at or below maximum, so growing and shrinking both work.
 */
final class ThreadPoolIsolation implements AutoCloseable {

  private static final int EXECUTED = 0;
  private static final int REJECTED = 1;

  private final String key;
  private final Clock clock;
  private final AtomicInteger threadNumber = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  /** Executions submitted whose {@code run} has not returned: the bounded quantity. */
  private final AtomicInteger admitted = new AtomicInteger();
  private final StripedCounters counts = new StripedCounters(2);
  private final ThreadPoolExecutor executor;
  private volatile RollingWindow window;
  private volatile AtomicLongArray peaks;
  private volatile ThreadPoolConfig config;
  private volatile int bound;
  /** Whether the pool may grow past its core size: only then does the queue look at it. */
  private volatile boolean growable;

  ThreadPoolIsolation(String key, Clock clock, ThreadPoolConfig config) {
    this.key = key;
    this.clock = clock;
    this.config = config;
    this.bound = boundOf(config);
    this.growable = config.coreSize() < config.effectiveMaximumSize();
    WorkQueue queue = new WorkQueue();
    this.executor = new ThreadPoolExecutor(config.coreSize(), config.effectiveMaximumSize(),
        config.keepAliveMinutes(), TimeUnit.MINUTES, queue, r -> {
          Thread t = new Thread(r, "breakwater-" + key + "-" + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, (task, e) -> {
          // The queue refused the task so that a thread be added, and another caller took the
          // last thread first: the task was admitted, so it waits in the queue.
          if (e.isShutdown() || !queue.force(task)) {
            throw new RejectedExecutionException("thread pool " + key + " is closed");
          }
        });
    this.window = newWindow(config);
  }

  String key() {
    return key;
  }

  ThreadPoolConfig config() {
    return config;
  }

  /**
   * Hands an execution to a worker, or returns false when the pool refuses it: all its threads'
   * worth of executions are admitted already (and, with a queue, as many more as the rejection
   * threshold allows).
   */
  boolean submit(WorkerExecution<?> work, int stripe, long now) {
    window.maybeRoll(now);
    int limit = bound;
    int a;
    do {
      a = admitted.get();
      if (a >= limit) {
        counts.increment(stripe, REJECTED);
        return false;
      }
    } while (!admitted.compareAndSet(a, a + 1));
    work.admittedBy(this);
    try {
      executor.execute(work);
      return true;
    } catch (RejectedExecutionException closed) {
      admitted.decrementAndGet();
      counts.increment(stripe, REJECTED);
      return false;
    }
  }

  /** An admitted execution's {@code run} starts on a worker. */
  void started() {
    notePeak(active.incrementAndGet());
  }

  /**
   * An admitted execution's {@code run} returned (or it will never run): its admission is free
   * for the next call. Called before the caller is told.
   */
  void finished(boolean ran) {
    if (ran) {
      active.decrementAndGet();
      counts.increment(Stripes.current(), EXECUTED);
    }
    admitted.decrementAndGet();
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

  /** Applies a new configuration; every size, the queue's included, changes in place. */
  synchronized void reconfigure(ThreadPoolConfig next) {
    ThreadPoolConfig previous = config;
    if (next.equals(previous)) {
      return;
    }
    resize(executor, next.coreSize(), next.effectiveMaximumSize());
    executor.setKeepAliveTime(next.keepAliveMinutes(), TimeUnit.MINUTES);
    if (next.rollingStatsBuckets() != previous.rollingStatsBuckets()
        || next.rollingStatsWindowMillis() != previous.rollingStatsWindowMillis()) {
      window = newWindow(next);
    }
    bound = boundOf(next);
    growable = next.coreSize() < next.effectiveMaximumSize();
    config = next;
  }

  private static int boundOf(ThreadPoolConfig c) {
    int queued = c.maxQueueSize() > 0
        ? Math.min(c.maxQueueSize(), c.queueSizeRejectionThreshold()) : 0;
    return (int) Math.min(Integer.MAX_VALUE, (long) c.effectiveMaximumSize() + queued);
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
      if (dropped instanceof WorkerExecution) {
        ((WorkerExecution<?>) dropped).abandon();
      }
    }
  }

  boolean awaitTermination(long millis) throws InterruptedException {
    return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
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

  /**
   * The executor's queue. Unbounded (admissions bound it), except that it refuses a task while
   * the pool can still grow and admitted work outnumbers its threads, so that the executor adds
   * a thread instead of queueing behind busy ones.
   */
  private final class WorkQueue extends LinkedBlockingQueue<Runnable> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean offer(Runnable task) {
      ThreadPoolExecutor e = executor;
      if (growable && e != null) {
        int threads = e.getPoolSize(); // takes the executor's lock: growable pools only
        if (threads < e.getMaximumPoolSize() && admitted.get() > threads) {
          return false;
        }
      }
      return super.offer(task);
    }

    boolean force(Runnable task) {
      return super.offer(task);
    }
  }
}
