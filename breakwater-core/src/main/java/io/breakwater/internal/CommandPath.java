package io.breakwater.internal;

import io.breakwater.BadRequestException;
import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.CommandException;
import io.breakwater.Fallback;
import io.breakwater.FailureKind;
import io.breakwater.Isolation;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import io.breakwater.event.ExecutionRecord;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The path of one command execution, read top to bottom:
 *
 * <ol>
 *   <li>circuit: an open circuit refuses the call ({@code SHORT_CIRCUITED});
 *   <li>isolation: no permit or no thread refuses it ({@code SEMAPHORE_REJECTED},
 *       {@code THREAD_POOL_REJECTED});
 *   <li>run, under the timeout: {@code SUCCESS}, {@code FAILURE}, {@code TIMEOUT} or
 *       {@code BAD_REQUEST};
 *   <li>record the outcome and latency, then tell the breaker (so the call that crosses the
 *       threshold is the one that opens the circuit);
 *   <li>fallback, under its own semaphore: {@code FALLBACK_SUCCESS}, {@code FALLBACK_FAILURE},
 *       {@code FALLBACK_REJECTION} or {@code FALLBACK_MISSING}, and {@code EXCEPTION_THROWN}
 *       whenever the caller gets an exception;
 *   <li>notify listeners.
 * </ol>
 *
 * <p>There are three entry points with the same steps and events: {@link #execute} (the caller
 * waits), {@link #submit} (a blocking {@code run} behind a future) and {@link #executeAsync} (a
 * {@code run} that is itself asynchronous). The steps after the run are written once, in the
 * synchronous style (return the answer or throw); the asynchronous paths complete their future
 * with whatever those steps return or throw.
 *
 * <p>The success path under semaphore isolation reads the clock twice, takes no lock and
 * allocates nothing; refusing a call (open circuit, no permit) creates no exception when a
 * fallback answers.
 */
final class CommandPath {

  private final Engine engine;
  private final Clock clock;
  private final Listeners listeners;

  CommandPath(Engine engine, Clock clock, Listeners listeners) {
    this.engine = engine;
    this.clock = clock;
    this.listeners = listeners;
  }

  // ---------------------------------------------------------------------------------------
  // Entry points
  // ---------------------------------------------------------------------------------------

  /** Runs a command and waits for its answer. */
  <T> T execute(
      CommandState cmd, String cacheKey, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    CommandConfig config = cmd.config();
    Trace t = traceFor(config, trace);

    if (cacheKey != null && config.requestCacheEnabled()) {
      RequestContext ctx = RequestContext.require("Request caching");
      CompletableFuture<T> mine = new CompletableFuture<>();
      CompletableFuture<?> cached = ctx.cache().putIfAbsent(cmd.name, cacheKey, mine);
      if (cached != null) {
        return await(fromCache(cmd, cached, t));
      }
      try {
        T value = execute(cmd, config, run, fallback, t);
        mine.complete(value);
        return value;
      } catch (RuntimeException | Error e) {
        mine.completeExceptionally(e);
        throw e;
      }
    }
    return execute(cmd, config, run, fallback, t);
  }

  private <T> T execute(
      CommandState cmd, CommandConfig config, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    int stripe = Stripes.current();
    markCollapsed(cmd, stripe, trace);

    long token = cmd.breaker.tryPass(config);
    if (token == CircuitBreaker.DENIED) {
      mark(cmd, stripe, trace, EventType.SHORT_CIRCUITED);
      return fallback(cmd, config, traceStart(trace), FailureKind.SHORT_CIRCUITED,
          EventType.SHORT_CIRCUITED, null, fallback, trace);
    }
    long start = clock.nanoTime();
    cmd.metrics.maybeRoll(start);

    if (config.isolation() == Isolation.SEMAPHORE) {
      return runOnCaller(cmd, config, stripe, start, token, run, fallback, trace);
    }
    WorkerExecution<T> work = new WorkerExecution<>(this, cmd, config, stripe, start, token, run,
        fallback, trace, null, engine.propagation().capture());
    // Known to the engine while its caller waits, so that closing the runtime answers it.
    engine.waiting(work, true);
    try {
      if (!engine.dispatch(work)) {
        return rejected(cmd, config, start, token, work.rejection(), fallback, trace);
      }
      return work.awaitAnswer();
    } finally {
      engine.waiting(work, false);
    }
  }

  /**
   * Runs a blocking command behind a future: on a worker for thread and virtual isolation, on
   * the caller's thread (before returning) for semaphore isolation, as Hystrix's
   * {@code queue()} does.
   */
  <T> CompletableFuture<T> submit(
      CommandState cmd, String cacheKey, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    CommandConfig config = cmd.config();
    Trace t = traceFor(config, trace);
    return cachedAsync(cmd, config, cacheKey, t, () -> submit(cmd, config, run, fallback, t));
  }

  private <T> CompletableFuture<T> submit(
      CommandState cmd, CommandConfig config, Callable<? extends T> run, Fallback<T> fallback,
      Trace trace) {
    if (config.isolation() == Isolation.SEMAPHORE) {
      return completed(() -> execute(cmd, config, run, fallback, trace));
    }
    int stripe = Stripes.current();
    markCollapsed(cmd, stripe, trace);

    long token = cmd.breaker.tryPass(config);
    if (token == CircuitBreaker.DENIED) {
      mark(cmd, stripe, trace, EventType.SHORT_CIRCUITED);
      long refused = traceStart(trace);
      return completed(() -> fallback(cmd, config, refused, FailureKind.SHORT_CIRCUITED,
          EventType.SHORT_CIRCUITED, null, fallback, trace));
    }
    long start = clock.nanoTime();
    cmd.metrics.maybeRoll(start);

    WorkerExecution<T> work = new WorkerExecution<>(this, cmd, config, stripe, start, token, run,
        fallback, trace, new CancellableFuture<>(), engine.propagation().capture());
    if (!engine.dispatch(work)) {
      return completed(
          () -> rejected(cmd, config, start, token, work.rejection(), fallback, trace));
    }
    work.armTimer(engine.timer());
    return work.future();
  }

  /**
   * Runs a command whose {@code run} is asynchronous. It is bounded by the command's semaphore
   * whatever the isolation (there is no thread to isolate), and on timeout the stage it returned
   * is cancelled.
   */
  <T> CompletableFuture<T> executeAsync(
      CommandState cmd, String cacheKey, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback, Trace trace) {
    CommandConfig config = cmd.config();
    Trace t = traceFor(config, trace);
    return cachedAsync(cmd, config, cacheKey, t, () -> executeAsync(cmd, config, run, fallback, t));
  }

  private <T> CompletableFuture<T> executeAsync(
      CommandState cmd, CommandConfig config, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback, Trace trace) {
    int stripe = Stripes.current();
    markCollapsed(cmd, stripe, trace);

    long token = cmd.breaker.tryPass(config);
    if (token == CircuitBreaker.DENIED) {
      mark(cmd, stripe, trace, EventType.SHORT_CIRCUITED);
      long refused = traceStart(trace);
      return completed(() -> fallback(cmd, config, refused, FailureKind.SHORT_CIRCUITED,
          EventType.SHORT_CIRCUITED, null, fallback, trace));
    }
    long start = clock.nanoTime();
    cmd.metrics.maybeRoll(start);

    if (!cmd.executionPermits.tryAcquire(stripe, cmd.metrics.bucket())) {
      return completed(() -> rejected(cmd, config, start, token, EventType.SEMAPHORE_REJECTED,
          fallback, trace));
    }
    AsyncExecution<T> async = new AsyncExecution<>(this, cmd, config, stripe, start, token,
        fallback, trace, engine.propagation().capture());
    async.start(run, engine.timer());
    return async.future();
  }

  // ---------------------------------------------------------------------------------------
  // Request cache
  // ---------------------------------------------------------------------------------------

  /**
   * Runs {@code execution} unless the request cache holds an answer (or an execution in flight)
   * for the key, in which case that answer is shared: {@code RESPONSE_FROM_CACHE}.
   */
  private <T> CompletableFuture<T> cachedAsync(
      CommandState cmd, CommandConfig config, String cacheKey, Trace trace,
      Supplier<CompletableFuture<T>> execution) {
    if (cacheKey == null || !config.requestCacheEnabled()) {
      return execution.get();
    }
    RequestContext ctx = RequestContext.require("Request caching");
    CompletableFuture<T> mine = new CompletableFuture<>();
    CompletableFuture<?> cached = ctx.cache().putIfAbsent(cmd.name, cacheKey, mine);
    if (cached != null) {
      return fromCache(cmd, cached, trace);
    }
    CompletableFuture<T> answer = execution.get();
    answer.whenComplete((v, e) -> {
      if (e == null) {
        mine.complete(v);
      } else {
        mine.completeExceptionally(e);
      }
    });
    return answer;
  }

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> fromCache(
      CommandState cmd, CompletableFuture<?> cached, Trace trace) {
    long start = clock.nanoTime();
    mark(cmd, Stripes.current(), trace, EventType.RESPONSE_FROM_CACHE);
    CompletableFuture<T> answer = new CompletableFuture<>();
    ((CompletableFuture<T>) cached).whenComplete((v, e) -> {
      answered(cmd, start, clock.nanoTime(), trace);
      if (e == null) {
        answer.complete(v);
      } else {
        answer.completeExceptionally(unwrap(e));
      }
    });
    return answer;
  }

  /**
   * The trace of an execution: the caller's (a {@code Command} keeps one), or a new one when
   * someone will read it (listeners, or the request log of an open context), else none.
   */
  private Trace traceFor(CommandConfig config, Trace given) {
    RequestContext ctx = config.requestLogEnabled() ? RequestContext.current() : null;
    Trace t = given;
    if (t == null && (ctx != null || listeners.any())) {
      t = new Trace();
    }
    if (ctx != null) {
      t.logTo(ctx);
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------
  // Isolation and run
  // ---------------------------------------------------------------------------------------

  private <T> T runOnCaller(
      CommandState cmd, CommandConfig config, int stripe, long start, long token,
      Callable<? extends T> run, Fallback<T> fallback, Trace trace) {
    if (!cmd.executionPermits.tryAcquire(stripe, cmd.metrics.bucket())) {
      return rejected(cmd, config, start, token, EventType.SEMAPHORE_REJECTED, fallback, trace);
    }
    if (config.timeoutEnabled()) {
      return runOnCallerTimed(cmd, config, stripe, start, token, run, fallback, trace);
    }
    T value;
    try {
      value = run.call();
    } catch (Throwable t) {
      cmd.executionPermits.release(stripe);
      long end = clock.nanoTime();
      return failed(cmd, config, start, end, token, t, fallback, trace, true);
    }
    cmd.executionPermits.release(stripe);
    long end = clock.nanoTime();
    if (token == CircuitBreaker.ALLOWED && trace == null) {
      // The success path, kept small so that it is inlined: count, measure, answer.
      cmd.metrics.count(stripe, EventType.SUCCESS);
      cmd.metrics.latency(stripe, CommandMetrics.Latency.SHARED, end - start, end);
      return value;
    }
    return succeeded(cmd, start, end, token, value, trace, true);
  }

  /** {@link #runOnCaller} with the timer armed around {@code run}. */
  private <T> T runOnCallerTimed(
      CommandState cmd, CommandConfig config, int stripe, long start, long token,
      Callable<? extends T> run, Fallback<T> fallback, Trace trace) {
    CallerTimeout timeout;
    try {
      timeout = CallerTimeout.arm(engine.timer(), config.timeoutMillis() * 1_000_000L,
          config.interruptOnTimeout());
    } catch (RuntimeException closed) {
      cmd.executionPermits.release(stripe);
      throw closed;
    }
    T value = null;
    Throwable thrown = null;
    try {
      value = run.call();
    } catch (Throwable t) {
      thrown = t;
    } finally {
      cmd.executionPermits.release(stripe);
    }
    long end = clock.nanoTime();

    if (timeout.disarm()) {
      recordExecution(cmd, end - start, end, trace);
      return timedOut(cmd, config, start, end, token, fallback, trace);
    }
    if (thrown == null) {
      return succeeded(cmd, start, end, token, value, trace, true);
    }
    return failed(cmd, config, start, end, token, thrown, fallback, trace, true);
  }

  // ---------------------------------------------------------------------------------------
  // Outcomes: record, tell the breaker, fall back
  // ---------------------------------------------------------------------------------------

  /**
   * The execution answered. {@code shared}: its run time is also the caller's wait, recorded
   * once for both.
   */
  <T> T succeeded(
      CommandState cmd, long start, long end, long token, T value, Trace trace,
      boolean shared) {
    int stripe = Stripes.current();
    mark(cmd, stripe, trace, EventType.SUCCESS);
    if (shared) {
      cmd.metrics.latency(stripe, CommandMetrics.Latency.SHARED, end - start, end);
      if (trace != null) {
        trace.executed(end - start);
      }
    } else {
      cmd.metrics.latency(stripe, CommandMetrics.Latency.TOTAL, end - start, end);
    }
    cmd.breaker.onSuccess(token);
    answered(cmd, start, end, trace);
    return value;
  }

  /** The execution threw. {@code ranHere}: its run time is {@code end - start}. */
  <T> T failed(
      CommandState cmd, CommandConfig config, long start, long end, long token, Throwable thrown,
      Fallback<T> fallback, Trace trace, boolean ranHere) {
    int stripe = Stripes.current();
    Throwable cause = unwrap(thrown);
    if (cause instanceof BadRequestException) {
      mark(cmd, stripe, trace, EventType.BAD_REQUEST);
      if (ranHere) {
        cmd.metrics.latency(stripe, CommandMetrics.Latency.SHARED, end - start, end);
        if (trace != null) {
          trace.executed(end - start);
        }
      } else {
        cmd.metrics.latency(stripe, CommandMetrics.Latency.TOTAL, end - start, end);
      }
      cmd.breaker.onAbandoned(token, config);
      mark(cmd, stripe, trace, EventType.EXCEPTION_THROWN);
      answered(cmd, start, end, trace);
      throw (BadRequestException) cause;
    }
    mark(cmd, stripe, trace, EventType.FAILURE);
    if (ranHere) {
      recordExecution(cmd, end - start, end, trace);
    }
    cmd.breaker.onError(token, end, config, EventType.FAILURE);
    if (isUnrecoverable(cause)) {
      if (trace != null) {
        trace.failed(FailureKind.FAILED, cause);
      }
      throw refusal(cmd, start, trace, FailureKind.FAILED,
          cmd.name + " failed and encountered an unrecoverable error.", cause, null);
    }
    return fallback(cmd, config, start, FailureKind.FAILED, EventType.FAILURE, cause, fallback,
        trace);
  }

  /** The execution did not answer within its timeout. */
  <T> T timedOut(
      CommandState cmd, CommandConfig config, long start, long now, long token,
      Fallback<T> fallback, Trace trace) {
    mark(cmd, Stripes.current(), trace, EventType.TIMEOUT);
    cmd.breaker.onError(token, now, config, EventType.TIMEOUT);
    TimeoutException cause = new TimeoutException(
        cmd.name + " timed out after " + config.timeoutMillis() + " ms");
    return fallback(cmd, config, start, FailureKind.TIMED_OUT, EventType.TIMEOUT, cause,
        fallback, trace);
  }

  /** The semaphore or the thread pool refused the execution. */
  <T> T rejected(
      CommandState cmd, CommandConfig config, long start, long token, EventType reason,
      Fallback<T> fallback, Trace trace) {
    mark(cmd, Stripes.current(), trace, reason);
    cmd.breaker.onError(token, start, config, reason);
    return fallback(cmd, config, start, FailureKind.REJECTED, reason, null, fallback, trace);
  }

  /** The caller gave up: its future was cancelled or its thread interrupted while waiting. */
  void cancelled(CommandState cmd, CommandConfig config, long start, long token, Trace trace) {
    mark(cmd, Stripes.current(), trace, EventType.CANCELLED);
    cmd.breaker.onAbandoned(token, config);
    answered(cmd, start, clock.nanoTime(), trace);
  }

  /** Answers in place of the execution, or throws the {@link CommandException} saying why not. */
  <T> T fallback(
      CommandState cmd, CommandConfig config, long start, FailureKind kind, EventType reason,
      Throwable cause, Fallback<T> fallback, Trace trace) {
    if (trace != null) {
      trace.failed(kind, cause);
    }
    if (!config.fallbackEnabled()) {
      throw refusal(cmd, start, trace, kind, message(cmd, reason, "fallback disabled"), cause,
          null);
    }
    int stripe = Stripes.current();
    if (fallback == null) {
      mark(cmd, stripe, trace, EventType.FALLBACK_MISSING);
      throw refusal(cmd, start, trace, kind, message(cmd, reason, "no fallback available"),
          cause, null);
    }
    boolean bounded = !fallback.isConstant(); // a constant cannot block: no permit to hold
    if (bounded && !cmd.fallbackPermits.tryAcquire(stripe, -1)) {
      mark(cmd, stripe, trace, EventType.FALLBACK_REJECTION);
      throw refusal(cmd, start, trace, kind,
          message(cmd, reason, "fallback execution rejected"), cause, null);
    }
    T value;
    try {
      value = fallback.apply(kind, cause);
    } catch (UnsupportedOperationException missing) {
      mark(cmd, stripe, trace, EventType.FALLBACK_MISSING);
      throw refusal(cmd, start, trace, kind, message(cmd, reason, "no fallback available"),
          cause, missing);
    } catch (Throwable broken) {
      mark(cmd, stripe, trace, EventType.FALLBACK_FAILURE);
      throw refusal(cmd, start, trace, kind, message(cmd, reason, "fallback failed"), cause,
          broken);
    } finally {
      if (bounded) {
        cmd.fallbackPermits.release(stripe);
      }
    }
    mark(cmd, stripe, trace, EventType.FALLBACK_SUCCESS);
    if (trace != null) {
      trace.answeredByFallback();
    }
    finish(cmd, stripe, start, kind, trace);
    return value;
  }

  /**
   * Records the caller's wait (for executions that ran: as Hystrix, a call refused before it
   * ran has no latency) and closes the trace; reads the clock only when one of them needs it.
   */
  private void finish(CommandState cmd, int stripe, long start, FailureKind kind, Trace trace) {
    boolean executed = kind == FailureKind.FAILED || kind == FailureKind.TIMED_OUT;
    if (!executed && trace == null) {
      return;
    }
    long end = clock.nanoTime();
    if (executed) {
      cmd.metrics.latency(stripe, CommandMetrics.Latency.TOTAL, end - start, end);
    }
    answered(cmd, start, end, trace);
  }

  private CommandException refusal(
      CommandState cmd, long start, Trace trace, FailureKind kind, String message,
      Throwable cause, Throwable fallbackFailure) {
    int stripe = Stripes.current();
    mark(cmd, stripe, trace, EventType.EXCEPTION_THROWN);
    finish(cmd, stripe, start, kind, trace);
    return new CommandException(cmd.name, kind, message, cause, fallbackFailure);
  }

  // ---------------------------------------------------------------------------------------
  // Bookkeeping
  // ---------------------------------------------------------------------------------------

  /**
   * The start of a call that will not execute (short-circuited): only its trace needs it, so
   * the clock is read only when there is one.
   */
  private long traceStart(Trace trace) {
    return trace == null ? 0 : clock.nanoTime();
  }

  /** A collapser's batch counts {@code COLLAPSED} once per request it serves, as Hystrix. */
  private static void markCollapsed(CommandState cmd, int stripe, Trace trace) {
    if (trace != null && trace.collapsed() > 0) {
      cmd.metrics.add(stripe, EventType.COLLAPSED, trace.collapsed());
      trace.mark(EventType.COLLAPSED);
    }
  }

  void mark(CommandState cmd, int stripe, Trace trace, EventType type) {
    cmd.metrics.count(stripe, type);
    if (trace != null) {
      trace.mark(type);
    }
  }

  void recordExecution(CommandState cmd, long nanos, long now, Trace trace) {
    cmd.metrics.latency(Stripes.current(), CommandMetrics.Latency.EXECUTION, nanos, now);
    if (trace != null) {
      trace.executed(nanos);
    }
  }

  /**
   * The caller has its answer (or exception): close the trace, add it to the request log and
   * tell the listeners.
   */
  private void answered(CommandState cmd, long start, long end, Trace trace) {
    if (trace == null) {
      return;
    }
    trace.total(end - start);
    RequestContext ctx = trace.requestLog();
    if (ctx == null && !listeners.any()) {
      return;
    }
    ExecutionRecord record = new ExecutionRecord(cmd.name, cmd.group(), trace.events(),
        trace.executionNanos(), trace.totalNanos(), trace.failureKind(), trace.failure());
    if (ctx != null) {
      ctx.log().add(record);
    }
    listeners.execution(record);
  }

  long now() {
    return clock.nanoTime();
  }

  Engine engine() {
    return engine;
  }

  private static String message(CommandState cmd, EventType reason, String fallbackPart) {
    String what;
    switch (reason) {
      case SHORT_CIRCUITED:
        what = "short-circuited";
        break;
      case TIMEOUT:
        what = "timed-out";
        break;
      case THREAD_POOL_REJECTED:
        what = "could not be queued for execution";
        break;
      case SEMAPHORE_REJECTED:
        what = "could not acquire a semaphore for execution";
        break;
      default:
        what = "failed";
        break;
    }
    return cmd.name + " " + what + " and " + fallbackPart + ".";
  }

  /** What the run really threw, out of the wrappers futures put around it. */
  static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Errors a fallback must not paper over: the JVM itself is in trouble. */
  private static boolean isUnrecoverable(Throwable t) {
    return t instanceof VirtualMachineError || t instanceof LinkageError
        || t.getClass().getName().equals("java.lang.ThreadDeath");
  }

  /** Waits for a future and throws what it failed with, unwrapped. */
  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    }
  }

  /** A future holding what {@code answer} returns or throws. */
  static <T> CompletableFuture<T> completed(Supplier<T> answer) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      f.complete(answer.get());
    } catch (Throwable t) {
      f.completeExceptionally(t);
    }
    return f;
  }
}
