package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.Fallback;
import io.breakwater.Isolation;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.config.ConfigResolver;
import io.breakwater.context.ContextPropagator;
import io.breakwater.metrics.CollapserSnapshot;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.MetricsSnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The machinery behind a {@code BreakwaterRuntime}: the commands and thread pools by name, the
 * timer, the fallback threads, and the path every execution takes. Not part of the API; use
 * {@code BreakwaterRuntime}.
 */
public final class Engine implements AutoCloseable {

  private static final AtomicInteger ENGINES = new AtomicInteger();

  private final int id = ENGINES.incrementAndGet();
  private final Clock clock;
  private final Listeners listeners = new Listeners();
  private final Timer timer;
  private final Propagation propagation = new Propagation();
  private final CommandPath path;
  private final ConcurrentHashMap<String, CommandState> commands = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CommandConfig> configs = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ThreadPoolIsolation> pools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ThreadPoolConfig> poolConfigs =
      new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private volatile CommandConfig defaultConfig = CommandConfig.defaults();
  private volatile ThreadPoolConfig defaultPoolConfig = ThreadPoolConfig.defaults();
  private final ConcurrentHashMap<String, CollapserState> collapsers = new ConcurrentHashMap<>();
  /** Blocking callers waiting on a worker (thread or virtual isolation), answered at close. */
  private final Set<WorkerExecution<?>> waiting = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, CollapserConfig> collapserConfigs =
      new ConcurrentHashMap<>();
  private volatile CollapserConfig defaultCollapserConfig = CollapserConfig.defaults();
  /** Consulted for the first config of a name that was never configured here, or null. */
  private volatile ConfigResolver resolver;
  private volatile ThreadPoolExecutor helperThreads;
  private volatile ThreadFactory virtualThreads;
  private volatile boolean closed;
  /** Set once close has fired every pending timer: helper threads may stop. */
  private boolean helpersClosed;

  /** Idle time after which a command's state is evicted; 0 never evicts. */
  private final long idleEvictionNanos;
  private volatile long lastSweepNanos;

  public Engine(Clock clock, long idleEvictionNanos) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (idleEvictionNanos < 0) {
      throw new IllegalArgumentException(
          "idleEviction must not be negative, was " + idleEvictionNanos + " ns");
    }
    this.idleEvictionNanos = idleEvictionNanos;
    this.timer = new Timer("breakwater-timer-" + id);
    this.path = new CommandPath(this, clock, listeners);
    this.lastSweepNanos = clock.nanoTime();
  }

  /** This engine's number, part of the names of its timer and helper threads. */
  public int id() {
    return id;
  }

  public Listeners listeners() {
    return listeners;
  }

  public Clock clock() {
    return clock;
  }

  // ---------------------------------------------------------------------------------------
  // Commands and their configuration
  // ---------------------------------------------------------------------------------------

  /** The state of a command, created with its configured (or the default) config. */
  public CommandState command(String name) {
    CommandState cmd = name != null ? commands.get(name) : null;
    if (cmd != null) {
      return cmd;
    }
    requireName("command name", name);
    ensureOpen();
    maybeEvictIdle();
    return commands.computeIfAbsent(name, n ->
        new CommandState(n, clock, initialConfig(n), listeners));
  }

  private CommandConfig initialConfig(String name) {
    CommandConfig c = configs.get(name);
    ConfigResolver r = resolver;
    if (c == null && r != null) {
      c = r.commandConfig(name);
    }
    return c != null ? c : defaultConfig;
  }

  private ThreadPoolConfig initialPoolConfig(String key) {
    ThreadPoolConfig c = poolConfigs.get(key);
    ConfigResolver r = resolver;
    if (c == null && r != null) {
      c = r.threadPoolConfig(key);
    }
    return c != null ? c : defaultPoolConfig;
  }

  /**
   * Sets where the first config of a command or pool that was never configured here comes
   * from (a configuration binder); null removes it.
   */
  public void configResolver(ConfigResolver resolver) {
    this.resolver = resolver;
  }

  // ---------------------------------------------------------------------------------------
  // Idle eviction
  // ---------------------------------------------------------------------------------------

  /**
   * Sweeps for idle commands at most four times per idle period, piggy-backing on command
   * creation and snapshots: no thread of its own, and a program that stops creating commands
   * and reading metrics has nothing new to evict anyway.
   */
  private void maybeEvictIdle() {
    if (idleEvictionNanos == 0) {
      return;
    }
    long now = clock.nanoTime();
    long last = lastSweepNanos;
    if (now - last >= Math.max(idleEvictionNanos / 4, 1_000_000_000L)) {
      lastSweepNanos = now;
      evictIdle();
    }
  }

  /**
   * Forgets the state (metrics, breaker, semaphores) of every command that has not started an
   * execution for the idle period, has none running, whose circuit is closed and that was not
   * configured by name (configured commands are known and stay listed), and of idle
   * collapsers.
   *
   * @return how many commands were evicted
   */
  public int evictIdle() {
    if (idleEvictionNanos == 0) {
      return 0;
    }
    long now = clock.nanoTime();
    int evicted = 0;
    for (CommandState cmd : commands.values()) {
      long started = cmd.executionsStarted();
      if (started != cmd.lastSeenExecutions) {
        cmd.lastSeenExecutions = started;
        cmd.idleSinceNanos = now;
      } else if (now - cmd.idleSinceNanos >= idleEvictionNanos
          && !configs.containsKey(cmd.name)
          && cmd.executionPermits.inUse() == 0
          && cmd.circuitState() == io.breakwater.circuit.CircuitState.CLOSED
          && commands.remove(cmd.name, cmd)) {
        evicted++;
      }
    }
    for (CollapserState c : collapsers.values()) {
      if (c.idleFor(now) >= idleEvictionNanos) {
        collapsers.remove(c.name(), c);
      }
    }
    return evicted;
  }

  /** Whether a command has state (it ran, or was configured and looked up). */
  public CommandState existing(String name) {
    return commands.get(name);
  }

  /** Sets a command's config; the next execution uses it and metrics are kept. */
  public void configure(String name, CommandConfig config) {
    requireName("command name", name);
    Objects.requireNonNull(config, "config must not be null");
    configs.put(name, config);
    // computeIfPresent waits for a creation in progress, so the new config is never lost.
    commands.computeIfPresent(name, (n, cmd) -> {
      cmd.apply(config);
      return cmd;
    });
  }

  /** The config a command has or would have. */
  public CommandConfig configOf(String name) {
    CommandState cmd = commands.get(name);
    return cmd != null ? cmd.config() : configs.getOrDefault(name, defaultConfig);
  }

  /** Sets the config of commands that have none of their own. */
  public void configureDefault(CommandConfig config) {
    Objects.requireNonNull(config, "config must not be null");
    defaultConfig = config;
    for (String name : commands.keySet()) {
      commands.computeIfPresent(name, (n, cmd) -> {
        if (!configs.containsKey(n)) {
          cmd.apply(config);
        }
        return cmd;
      });
    }
  }

  public void configureThreadPool(String key, ThreadPoolConfig config) {
    requireName("thread pool key", key);
    Objects.requireNonNull(config, "config must not be null");
    poolConfigs.put(key, config);
    pools.computeIfPresent(key, (k, pool) -> {
      pool.reconfigure(config);
      return pool;
    });
  }

  public void configureDefaultThreadPool(ThreadPoolConfig config) {
    Objects.requireNonNull(config, "config must not be null");
    defaultPoolConfig = config;
    for (ThreadPoolIsolation pool : pools.values()) {
      if (!poolConfigs.containsKey(pool.key())) {
        pool.reconfigure(config);
      }
    }
  }

  public ThreadPoolConfig threadPoolConfigOf(String key) {
    ThreadPoolIsolation pool = pools.get(key);
    return pool != null ? pool.config() : poolConfigs.getOrDefault(key, defaultPoolConfig);
  }

  public Collection<CommandState> commands() {
    return Collections.unmodifiableCollection(commands.values());
  }

  // ---------------------------------------------------------------------------------------
  // Executions
  // ---------------------------------------------------------------------------------------

  public <T> T execute(
      CommandState cmd, String cacheKey, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    ensureOpen();
    return path.execute(cmd, cacheKey, run, fallback, trace);
  }

  public <T> CompletableFuture<T> submit(
      CommandState cmd, String cacheKey, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    ensureOpen();
    return path.submit(cmd, cacheKey, run, fallback, trace);
  }

  public <T> CompletableFuture<T> executeAsync(
      CommandState cmd, String cacheKey, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback, Trace trace) {
    ensureOpen();
    return path.executeAsync(cmd, cacheKey, run, fallback, trace);
  }

  public void addContextPropagator(ContextPropagator<?> propagator) {
    propagation.add(Objects.requireNonNull(propagator, "propagator must not be null"));
  }

  public boolean removeContextPropagator(ContextPropagator<?> propagator) {
    return propagation.remove(propagator);
  }

  Propagation propagation() {
    return propagation;
  }

  /** Hands an execution to its worker; false when the pool or the semaphore refuses it. */
  boolean dispatch(WorkerExecution<?> work) {
    CommandState cmd = work.command();
    if (work.config().isolation() == Isolation.VIRTUAL) {
      if (!cmd.executionPermits.tryAcquire(work.callerStripe(), cmd.metrics.bucket())) {
        return false;
      }
      try {
        virtualThreads().newThread(work).start();
        return true;
      } catch (RuntimeException | Error e) {
        cmd.executionPermits.release(work.callerStripe());
        throw e;
      }
    }
    return pool(cmd).submit(work, work.callerStripe(), work.start());
  }

  private ThreadPoolIsolation pool(CommandState cmd) {
    String key = cmd.poolKey();
    ThreadPoolIsolation pool = cmd.pool;
    if (pool != null && pool.key().equals(key)) {
      return pool;
    }
    pool = pools.get(key);
    if (pool == null) {
      synchronized (lifecycle) { // guards pool creation against close()
        ensureOpen();
        pool = pools.computeIfAbsent(key, k ->
            new ThreadPoolIsolation(k, clock, initialPoolConfig(k)));
      }
    }
    cmd.pool = pool;
    return pool;
  }

  Timer timer() {
    return timer;
  }

  /**
   * Threads for user code that must not run on the timer thread: a timeout's fallback when the
   * caller is not waiting, and collapser batches. Created on first use; idle threads die after
   * a minute. Fallbacks are bounded per command by the fallback semaphore.
   */
  Executor helperExecutor() {
    ThreadPoolExecutor e = helperThreads;
    if (e != null) {
      return e;
    }
    synchronized (lifecycle) {
      if (helpersClosed) {
        throw new IllegalStateException("this Breakwater runtime is closed");
      }
      if (helperThreads == null) {
        AtomicInteger n = new AtomicInteger();
        helperThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
              Thread t = new Thread(r, "breakwater-helper-" + id + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
      }
      return helperThreads;
    }
  }

  /**
   * The state of a collapser; {@code config} (when not null) becomes its configuration.
   */
  public CollapserState collapser(String name, CollapserConfig config) {
    requireName("collapser name", name);
    if (config != null && !config.equals(collapserConfigs.get(name))) {
      configureCollapser(name, config);
    }
    CollapserState state = collapsers.get(name);
    if (state == null) {
      ensureOpen();
      state = collapsers.computeIfAbsent(name, n -> new CollapserState(n, this,
          collapserConfigs.getOrDefault(n, defaultCollapserConfig)));
    }
    return state;
  }

  /** Sets a collapser's config; its next batch uses it. */
  public void configureCollapser(String name, CollapserConfig config) {
    requireName("collapser name", name);
    Objects.requireNonNull(config, "config must not be null");
    collapserConfigs.put(name, config);
    collapsers.computeIfPresent(name, (n, state) -> {
      state.apply(config);
      return state;
    });
  }

  /** Sets the config of collapsers that have none of their own. */
  public void configureDefaultCollapser(CollapserConfig config) {
    Objects.requireNonNull(config, "config must not be null");
    defaultCollapserConfig = config;
    for (String name : collapsers.keySet()) {
      collapsers.computeIfPresent(name, (n, state) -> {
        if (!collapserConfigs.containsKey(n)) {
          state.apply(config);
        }
        return state;
      });
    }
  }

  public CollapserConfig collapserConfigOf(String name) {
    CollapserState state = collapsers.get(name);
    return state != null ? state.config()
        : collapserConfigs.getOrDefault(name, defaultCollapserConfig);
  }

  private ThreadFactory virtualThreads() {
    ThreadFactory f = virtualThreads;
    if (f == null) {
      f = VirtualThreads.factory("breakwater-virtual-" + id + "-");
      virtualThreads = f;
    }
    return f;
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots and lifecycle
  // ---------------------------------------------------------------------------------------

  public MetricsSnapshot snapshot() {
    maybeEvictIdle();
    if (!closed) {
      // Every configured command is known before its first call (Hystrix users saw an empty
      // dashboard until traffic flowed).
      for (String name : configs.keySet()) {
        command(name);
      }
    }
    List<CommandSnapshot> cs = new ArrayList<>();
    for (CommandState cmd : commands.values()) {
      cs.add(cmd.snapshot());
    }
    List<ThreadPoolSnapshot> ps = new ArrayList<>();
    for (ThreadPoolIsolation pool : pools.values()) {
      ps.add(pool.snapshot());
    }
    List<CollapserSnapshot> cols = new ArrayList<>();
    for (CollapserState c : collapsers.values()) {
      cols.add(c.snapshot());
    }
    return new MetricsSnapshot(clock.currentTimeMillis(), cs, ps, cols);
  }

  /** Threads alive in a pool, or -1 when the pool does not exist. */
  public int poolThreads(String key) {
    ThreadPoolIsolation pool = pools.get(key);
    return pool == null ? -1 : pool.poolSize();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Registers ({@code true}) or forgets a blocking caller waiting on a worker. */
  void waiting(WorkerExecution<?> work, boolean waits) {
    if (waits) {
      waiting.add(work);
    } else {
      waiting.remove(work);
    }
  }

  /**
   * Stops every thread this engine started. Queued executions and every caller waiting for a
   * timeout or on a worker get their timeout answer (the fallback) at once, running pool
   * executions are interrupted, pending collapser batches run; new executions are refused with
   * an {@link IllegalStateException}.
   */
  @Override
  public void close() {
    List<ThreadPoolIsolation> toStop;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      toStop = new ArrayList<>(pools.values());
    }
    // 1. The pools take no more work and answer what is queued as timed out (it never starts).
    // 2. Every pending timeout and collapser window fires, on this thread: a call running on a
    //    pool or async is answered TIMED_OUT now (and interrupted); the fallbacks run on the
    //    helper threads, which therefore stop last.
    // 3. The pools interrupt what still runs; its late result is dropped.
    // Interrupting before the timeouts fire would make an interrupted call and its timeout race
    // to answer the same caller; firing them before draining would let a freed worker start a
    // queued call during shutdown.
    for (ThreadPoolIsolation pool : toStop) {
      pool.drain();
    }
    timer.close();
    // Callers waiting on a worker without a timer task (execute()) are answered the same way.
    for (WorkerExecution<?> w : waiting) {
      w.timeOutNow();
    }
    for (ThreadPoolIsolation pool : toStop) {
      pool.close();
    }
    ThreadPoolExecutor helpers;
    synchronized (lifecycle) {
      helpersClosed = true;
      helpers = helperThreads;
    }
    if (helpers != null) {
      helpers.shutdown();
    }
  }

  /** Waits for the threads stopped by {@link #close()} to end. */
  public boolean awaitTermination(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    for (ThreadPoolIsolation pool : pools.values()) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (!pool.awaitTermination(Math.max(0, left))) {
        return false;
      }
    }
    ThreadPoolExecutor f = helperThreads;
    if (f != null) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      return f.awaitTermination(Math.max(0, left), TimeUnit.MILLISECONDS);
    }
    return true;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("this Breakwater runtime is closed");
    }
  }

  private static void requireName(String what, String name) {
    Objects.requireNonNull(name, () -> what + " must not be null");
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank, was '" + name + "'");
    }
  }
}
