package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
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
 * first, so a caller that calls again at once finds its worker not yet back at the hand-off and
 * is rejected although the pool has room: with as many callers as threads, most calls were
 * rejected and the rejections opened the circuit. Here that call is admitted, and when the
 * executor finds no worker waiting it waits up to 10 ms for the one on its way back.
 *
 * <p>Without a queue (the default) the executor hands work over directly, which is the fastest
 * hand-off. With one, the executor's queue holds {@code maxQueueSize} and the pool behaves as
 * Hystrix's: calls queue behind the core threads and are refused once
 * {@code queueSizeRejectionThreshold} are queued; only when the threshold is above the queue's
 * capacity does a full queue make the pool grow past its core size, up to its maximum. Core and
 * maximum sizes change in the order that keeps core at or below maximum, so growing and
 * shrinking both work; changing the queue's size replaces the executor (the old one finishes
 * what it has).
 */
final class ThreadPoolIsolation implements AutoCloseable {

  private static final int EXECUTED = 0;
  private static final int REJECTED = 1;
  /**
   * How long an admitted call waits for a finishing worker to reach the hand-off. The worker is
   * usually there within microseconds; the bound covers a worker the scheduler paused on its
   * way back (a time slice on a busy machine is several milliseconds), which with a 1 ms bound
   * turned an admitted call into a spurious rejection.
   */
  private static final long HANDOFF_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final String key;
  private final Clock clock;
  private final AtomicInteger threadNumber = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  /** Executions submitted whose {@code run} has not returned: the bounded quantity. */
  private final AtomicInteger admitted = new AtomicInteger();
  private final StripedCounters counts = new StripedCounters(2);
  private volatile ThreadPoolExecutor executor;
  private volatile RollingWindow window;
  private volatile AtomicLongArray peaks;
  private volatile ThreadPoolConfig config;
  private volatile int bound;

  ThreadPoolIsolation(String key, Clock clock, ThreadPoolConfig config) {
    this.key = key;
    this.clock = clock;
    this.config = config;
    this.bound = boundOf(config);
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
    ThreadPoolExecutor e = executor;
    try {
      e.execute(work);
      return true;
    } catch (RejectedExecutionException noWorkerWaiting) {
      // Admitted, so a worker has finished its run and is on its way back to the hand-off:
      // wait the microseconds it takes rather than refuse the call.
      try {
        if (!e.isShutdown() && e.getQueue().offer(work, HANDOFF_WAIT_NANOS,
            TimeUnit.NANOSECONDS)) {
          return true;
        }
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
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

  /**
   * Applies a new configuration: sizes change in place; switching between no queue and a queue
   * replaces the executor, and the old one finishes what it has.
   */
  synchronized void reconfigure(ThreadPoolConfig next) {
    ThreadPoolConfig previous = config;
    if (next.equals(previous)) {
      return;
    }
    if (next.maxQueueSize() != previous.maxQueueSize()) {
      ThreadPoolExecutor old = executor;
      executor = newExecutor(next);
      old.shutdown();
    } else {
      resize(executor, next.coreSize(), next.effectiveMaximumSize());
      executor.setKeepAliveTime(next.keepAliveMinutes(), TimeUnit.MINUTES);
    }
    if (next.rollingStatsBuckets() != previous.rollingStatsBuckets()
        || next.rollingStatsWindowMillis() != previous.rollingStatsWindowMillis()) {
      window = newWindow(next);
    }
    bound = boundOf(next);
    config = next;
  }

  /**
   * How many executions may be admitted (running or queued). Without a queue: the maximum
   * size. With one, as Hystrix: the core threads plus the rejection threshold while the
   * threshold keeps the queue from filling (the executor then never grows), else the maximum
   * size plus the queue's capacity.
   */
  private static int boundOf(ThreadPoolConfig c) {
    if (c.maxQueueSize() <= 0) {
      return c.effectiveMaximumSize();
    }
    long bound = c.queueSizeRejectionThreshold() <= c.maxQueueSize()
        ? (long) c.coreSize() + c.queueSizeRejectionThreshold()
        : (long) c.effectiveMaximumSize() + c.maxQueueSize();
    return (int) Math.min(Integer.MAX_VALUE, bound);
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
    drain();
    executor.shutdownNow();
  }

  /**
   * Takes no more work and answers every queued execution as timed out (it will never start);
   * executions already running go on. {@link #close()} then interrupts them.
   */
  void drain() {
    executor.shutdown();
    List<Runnable> dropped = new ArrayList<>();
    executor.getQueue().drainTo(dropped);
    for (Runnable r : dropped) {
      if (r instanceof WorkerExecution) {
        ((WorkerExecution<?>) r).abandon();
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

  private ThreadPoolExecutor newExecutor(ThreadPoolConfig c) {
    // With a queue of maxQueueSize the admission count applies the rejection threshold;
    // without, work is handed over directly.
    BlockingQueue<Runnable> queue = c.maxQueueSize() > 0
        ? new LinkedBlockingQueue<>(c.maxQueueSize()) : new SynchronousQueue<>();
    return new ThreadPoolExecutor(c.coreSize(), c.effectiveMaximumSize(), c.keepAliveMinutes(),
        TimeUnit.MINUTES, queue, r -> {
          Thread t = new Thread(r, "breakwater-" + key + "-" + threadNumber.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }
}
