package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.collapse.CollapsedRequest;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.context.RequestContext;
import io.breakwater.metrics.CollapserSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What Breakwater keeps for one collapser name: its config, its metrics, and its batchers (one
 * global, or one per request context).
 *
 * <p>A batcher holds the batch being filled. The first request of a batch arms the timer; the
 * batch runs when the timer fires or when it reaches its maximum size, whichever comes first.
 * Running a batch (user code: building the command, mapping responses) happens on a helper
 * thread, never on the timer thread and never under the batcher's lock; the request context of
 * the batch's first caller is attached there.
 */
public final class CollapserState {

  private static final int BATCHED = 0;
  private static final int BATCHES = 1;
  private static final int FROM_CACHE = 2;

  private final String name;
  private final Engine engine;
  private final Clock clock;
  private final StripedCounters counts = new StripedCounters(3);
  private volatile CollapserConfig config;
  private volatile RollingWindow window;
  private volatile LatencyRecorder sizes;
  private volatile Batcher global;
  private volatile long lastSeenBatched = -1;
  private volatile long idleSinceNanos;

  CollapserState(String name, Engine engine, CollapserConfig config) {
    this.name = name;
    this.engine = engine;
    this.clock = engine.clock();
    apply(config);
  }

  void apply(CollapserConfig next) {
    CollapserConfig previous = config;
    if (previous == null
        || previous.rollingStatsWindowMillis() != next.rollingStatsWindowMillis()
        || previous.rollingStatsBuckets() != next.rollingStatsBuckets()) {
      window = new RollingWindow(counts, clock, next.rollingStatsWindowMillis(),
          next.rollingStatsBuckets());
    }
    if (previous == null
        || previous.rollingPercentileWindowMillis() != next.rollingPercentileWindowMillis()
        || previous.rollingPercentileBuckets() != next.rollingPercentileBuckets()) {
      sizes = new LatencyRecorder(clock, next.rollingPercentileWindowMillis(),
          next.rollingPercentileBuckets());
    }
    config = next;
  }

  public String name() {
    return name;
  }

  public CollapserConfig config() {
    return config;
  }

  /** Counts an answer served from the request cache. */
  public void countFromCache() {
    long now = clock.nanoTime();
    window.maybeRoll(now);
    counts.increment(Stripes.current(), FROM_CACHE);
  }

  /**
   * Adds a request to the current batch of its scope and returns the caller's future.
   * {@code runner} runs a whole batch; it is called once per batch, with the runner of the
   * batch's first request.
   */
  public <R, A> CompletableFuture<R> submit(A argument, Consumer<List<Request<R, A>>> runner) {
    Batcher batcher;
    if (config.scope() == CollapserConfig.Scope.GLOBAL) {
      batcher = globalBatcher();
    } else {
      RequestContext ctx = RequestContext.require("A request-scoped collapser (" + name + ")");
      batcher = ctx.scoped(this, k -> new Batcher());
    }
    long now = clock.nanoTime();
    window.maybeRoll(now);
    counts.increment(Stripes.current(), BATCHED);
    Request<R, A> request = new Request<>(argument);
    batcher.add(request, runner);
    return request.future;
  }

  private Batcher globalBatcher() {
    Batcher b = global;
    if (b == null) {
      synchronized (this) { // guards the lazy creation of the global batcher only
        if (global == null) {
          global = new Batcher();
        }
        b = global;
      }
    }
    return b;
  }

  /** How long no request has been batched, as seen by successive calls. */
  long idleFor(long now) {
    long batched = counts.sum(BATCHED) + counts.sum(FROM_CACHE);
    if (batched != lastSeenBatched) {
      lastSeenBatched = batched;
      idleSinceNanos = now;
      return 0;
    }
    return now - idleSinceNanos;
  }

  public CollapserSnapshot snapshot() {
    long now = clock.nanoTime();
    long[] rolling = new long[3];
    window.windowCounts(now, rolling);
    long[] cumulative = new long[3];
    window.cumulativeCounts(cumulative);
    long[] sizeCounts = new long[LatencyRecorder.SLOTS];
    sizes.addWindow(now, sizeCounts);
    return new CollapserSnapshot(name, clock.currentTimeMillis(), rolling[BATCHED],
        rolling[BATCHES], rolling[FROM_CACHE], cumulative[BATCHED], cumulative[BATCHES],
        LatencyRecorder.summarize(sizeCounts), config);
  }

  /** One caller's request; completes its future at most once. */
  public static final class Request<R, A> implements CollapsedRequest<R, A> {
    private final A argument;
    final CompletableFuture<R> future = new CompletableFuture<>();

    Request(A argument) {
      this.argument = argument;
    }

    @Override
    public A argument() {
      return argument;
    }

    @Override
    public void setResponse(R response) {
      future.complete(response);
    }

    @Override
    public void setException(Throwable error) {
      future.completeExceptionally(error);
    }

    @Override
    public boolean isComplete() {
      return future.isDone();
    }
  }

  /** A batch being filled, with the runner and context of its first request. */
  private static final class Batch {
    final List<Request<?, ?>> requests = new ArrayList<>();
    final Consumer<List<Request<?, ?>>> runner;
    final Propagation.Captured context;
    final AtomicBoolean dispatched = new AtomicBoolean();
    ScheduledFuture<?> timer;

    Batch(Consumer<List<Request<?, ?>>> runner, Propagation.Captured context) {
      this.runner = runner;
      this.context = context;
    }
  }

  /** The batch being filled for one scope. Closing it runs what it holds at once. */
  private final class Batcher implements AutoCloseable {
    // Guards current; held only to add a request or swap the batch, never while running one.
    private final Object lock = new Object();
    private Batch current;

    @SuppressWarnings({"unchecked", "rawtypes"})
    <R, A> void add(Request<R, A> request, Consumer<List<Request<R, A>>> runner) {
      Batch full = null;
      Batch armed = null;
      synchronized (lock) {
        if (current == null) {
          current = new Batch((Consumer) runner, engine.propagation().capture());
          armed = current;
        }
        current.requests.add(request);
        if (current.requests.size() >= config.maxRequestsInBatch()) {
          full = current;
          current = null;
        }
      }
      if (armed != null && armed != full) {
        Batch batch = armed;
        batch.timer = engine.timer().schedule(() -> flush(batch),
            config.timerDelayMillis() * 1_000_000L);
      }
      if (full != null) {
        dispatch(full);
      }
    }

    private void flush(Batch batch) {
      synchronized (lock) {
        if (current == batch) {
          current = null;
        }
      }
      dispatch(batch);
    }

    private void dispatch(Batch batch) {
      if (!batch.dispatched.compareAndSet(false, true)) {
        return;
      }
      if (batch.timer != null) {
        batch.timer.cancel(false);
      }
      engine.helperExecutor().execute(() -> run(batch));
    }

    private void run(Batch batch) {
      long now = clock.nanoTime();
      window.maybeRoll(now);
      counts.increment(Stripes.current(), BATCHES);
      if (config.rollingPercentileEnabled()) {
        sizes.recordValue(Stripes.current(), batch.requests.size(), now);
      }
      try (RequestContext.Scope scope = batch.context.attach()) {
        batch.runner.accept(batch.requests);
      } catch (Throwable t) {
        for (Request<?, ?> r : batch.requests) {
          r.setException(t);
        }
      }
      for (Request<?, ?> r : batch.requests) {
        if (!r.isComplete()) {
          r.setException(new IllegalStateException("collapser " + name
              + " set no response for argument " + r.argument()));
        }
      }
    }

    @Override
    public void close() {
      Batch pending;
      synchronized (lock) {
        pending = current;
        current = null;
      }
      if (pending != null) {
        dispatch(pending);
      }
    }
  }
}
