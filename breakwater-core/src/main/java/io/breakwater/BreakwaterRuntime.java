package io.breakwater;

import io.breakwater.circuit.CircuitState;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.context.ContextPropagator;
import io.breakwater.event.CommandListener;
import io.breakwater.internal.CommandState;
import io.breakwater.internal.Engine;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.MetricsSnapshot;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A set of protected commands with their configuration, circuit breakers, thread pools, timer
 * and metrics. Most programs use the one behind {@link Breakwater}; tests and programs that want
 * several independent sets create their own and close them when done.
 *
 * <p>Threads are started only when needed (the timer at the first timed execution, a pool at
 * its first thread-isolated execution) and all stop at {@link #close()}. Every method is
 * thread-safe.
 */
public final class BreakwaterRuntime implements AutoCloseable {

  private final Engine engine;

  private BreakwaterRuntime(Builder b) {
    this.engine = new Engine(b.clock, b.idleEviction.toNanos());
  }

  /** A runtime on the system clock. */
  public static BreakwaterRuntime create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------------------------------
  // Configuration
  // ---------------------------------------------------------------------------------------

  /**
   * Sets the configuration of a command. The next execution uses it; rolling metrics and the
   * circuit's state are kept.
   */
  public BreakwaterRuntime configure(String commandName, CommandConfig config) {
    engine.configure(commandName, config);
    return this;
  }

  /** The configuration a command runs with. */
  public CommandConfig config(String commandName) {
    return engine.configOf(commandName);
  }

  /** Sets the configuration of every command that has none of its own. */
  public BreakwaterRuntime configureDefault(CommandConfig config) {
    engine.configureDefault(config);
    return this;
  }

  /** Sets the sizes of a thread pool; an existing pool is resized in place. */
  public BreakwaterRuntime configureThreadPool(String poolKey, ThreadPoolConfig config) {
    engine.configureThreadPool(poolKey, config);
    return this;
  }

  /** Sets the sizes of every thread pool that has none of its own. */
  public BreakwaterRuntime configureDefaultThreadPool(ThreadPoolConfig config) {
    engine.configureDefaultThreadPool(config);
    return this;
  }

  public ThreadPoolConfig threadPoolConfig(String poolKey) {
    return engine.threadPoolConfigOf(poolKey);
  }

  /** Sets the configuration of a collapser; its next batch uses it. */
  public BreakwaterRuntime configureCollapser(String collapserName, CollapserConfig config) {
    engine.configureCollapser(collapserName, config);
    return this;
  }

  /** Sets the configuration of every collapser that has none of its own. */
  public BreakwaterRuntime configureDefaultCollapser(CollapserConfig config) {
    engine.configureDefaultCollapser(config);
    return this;
  }

  public CollapserConfig collapserConfig(String collapserName) {
    return engine.collapserConfigOf(collapserName);
  }

  // ---------------------------------------------------------------------------------------
  // Executing
  // ---------------------------------------------------------------------------------------

  /**
   * Runs {@code run} as the command {@code commandName} and returns its answer.
   *
   * @throws CommandException when it failed, timed out, was rejected or short-circuited (there
   *     is no fallback)
   * @throws BadRequestException when {@code run} threw one
   */
  public <T> T execute(String commandName, Callable<T> run) {
    return execute(commandName, run, null);
  }

  /**
   * Runs {@code run} as the command {@code commandName}; when it fails, times out, is rejected
   * or short-circuited, {@code fallback} answers instead.
   *
   * @throws CommandException when the fallback failed, was rejected, or is disabled
   * @throws BadRequestException when {@code run} threw one (no fallback runs)
   */
  public <T> T execute(String commandName, Callable<T> run, Fallback<T> fallback) {
    Objects.requireNonNull(run, "run must not be null");
    return engine.execute(engine.command(commandName), null, run, fallback, null);
  }

  /**
   * As {@link #execute(String, Callable, Fallback)}, sharing the answer within the current
   * {@link io.breakwater.context.RequestContext} with every call of this command with the same
   * {@code cacheKey} (the first runs, the others wait for it: {@code RESPONSE_FROM_CACHE}).
   *
   * @throws IllegalStateException when request caching is on and no context is open
   */
  public <T> T execute(
      String commandName, String cacheKey, Callable<T> run, Fallback<T> fallback) {
    Objects.requireNonNull(run, "run must not be null");
    return engine.execute(engine.command(commandName), cacheKey, run, fallback, null);
  }

  /**
   * Runs a blocking {@code run} behind a future: on the command's pool (thread isolation), a
   * virtual thread (virtual isolation), or right away on this thread (semaphore isolation).
   */
  public <T> CompletableFuture<T> submit(
      String commandName, Callable<T> run, Fallback<T> fallback) {
    Objects.requireNonNull(run, "run must not be null");
    return engine.submit(engine.command(commandName), null, run, fallback, null);
  }

  /**
   * Runs an asynchronous {@code run} as the command {@code commandName}: it is bounded by the
   * command's semaphore, timed, and cancelled on timeout; the returned future holds its answer
   * or the fallback's.
   */
  public <T> CompletableFuture<T> executeAsync(
      String commandName, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback) {
    Objects.requireNonNull(run, "run must not be null");
    return engine.executeAsync(engine.command(commandName), null, run, fallback, null);
  }

  /**
   * As {@link #executeAsync(String, Supplier, Fallback)}, sharing the answer within the current
   * request context with every call of this command with the same {@code cacheKey}.
   */
  public <T> CompletableFuture<T> executeAsync(
      String commandName, String cacheKey, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback) {
    Objects.requireNonNull(run, "run must not be null");
    return engine.executeAsync(engine.command(commandName), cacheKey, run, fallback, null);
  }

  // ---------------------------------------------------------------------------------------
  // Looking at it
  // ---------------------------------------------------------------------------------------

  /** The state of a command's circuit (CLOSED for a command that never ran). */
  public CircuitState circuitState(String commandName) {
    CommandState cmd = engine.existing(commandName);
    return cmd == null ? CircuitState.CLOSED : cmd.circuitState();
  }

  /** Closes a command's circuit and starts its health from zero. */
  public void resetCircuit(String commandName) {
    engine.command(commandName).resetCircuit();
  }

  /** The figures of one command; a command that never ran shows zeros. */
  public CommandSnapshot snapshot(String commandName) {
    return engine.command(commandName).snapshot();
  }

  /** The figures of every command and thread pool. */
  public MetricsSnapshot snapshot() {
    return engine.snapshot();
  }

  /** Adds a listener for circuit transitions and executions. */
  public void addListener(CommandListener listener) {
    engine.listeners().add(Objects.requireNonNull(listener, "listener must not be null"));
  }

  /** Removes a listener; true when it was registered. */
  public boolean removeListener(CommandListener listener) {
    return engine.listeners().remove(listener);
  }

  /**
   * Carries more thread-bound context (MDC, tracing, security) to the threads executions run
   * on; the request context is always carried.
   */
  public void addContextPropagator(ContextPropagator<?> propagator) {
    engine.addContextPropagator(propagator);
  }

  public boolean removeContextPropagator(ContextPropagator<?> propagator) {
    return engine.removeContextPropagator(propagator);
  }

  /** The clock this runtime measures with. */
  public Clock clock() {
    return engine.clock();
  }

  /** For the modules built on core; not for applications. */
  public Engine engine() {
    return engine;
  }

  public boolean isClosed() {
    return engine.isClosed();
  }

  /**
   * Stops every thread this runtime started and answers every call in flight: a call still
   * queued on a pool, a caller waiting on a pool or virtual thread, and any call waiting for its
   * timeout is answered at once as timed out (its fallback, or a {@code TIMED_OUT} error), the
   * execution interrupted; a pending collapser batch runs at once (its command refused). New
   * executions are refused. A call with its timeout disabled that runs on the caller's thread
   * (semaphore isolation) or as the caller's own stage ends when it ends.
   */
  @Override
  public void close() {
    engine.close();
  }

  /**
   * Forgets the state of commands idle for the configured period (see
   * {@link Builder#idleEviction}); returns how many were evicted. Runs by itself as commands are
   * created and snapshots are taken.
   */
  public int evictIdle() {
    return engine.evictIdle();
  }

  /** Builds a {@link BreakwaterRuntime}. Not thread-safe. */
  public static final class Builder {
    /** Commands idle this long are forgotten unless configured otherwise: one hour. */
    public static final Duration DEFAULT_IDLE_EVICTION = Duration.ofHours(1);

    private Clock clock = Clock.SYSTEM;
    private Duration idleEviction = DEFAULT_IDLE_EVICTION;

    private Builder() {}

    /**
     * How long a command may go without executions before its metrics and breaker are
     * forgotten (its configuration is kept); {@link Duration#ZERO} keeps everything
     * forever, as Hystrix did. Default one hour.
     */
    public Builder idleEviction(Duration idle) {
      Objects.requireNonNull(idle, "idleEviction must not be null");
      if (idle.isNegative()) {
        throw new IllegalArgumentException("idleEviction must not be negative, was " + idle);
      }
      this.idleEviction = idle;
      return this;
    }

    /** The clock for rolling windows and sleep windows; tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    public BreakwaterRuntime build() {
      return new BreakwaterRuntime(this);
    }
  }
}
