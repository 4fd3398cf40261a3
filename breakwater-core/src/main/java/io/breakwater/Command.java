package io.breakwater;

import io.breakwater.event.EventType;
import io.breakwater.internal.CommandState;
import io.breakwater.internal.Trace;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A protected call in the style of Hystrix's {@code HystrixCommand}: subclass it, put the call
 * in {@link #run()} and the substitute answer in {@link #fallback()}, then run one instance once.
 *
 * <pre>{@code
 * class GetUser extends Command<User> {
 *   private final long id;
 *   GetUser(long id) { super("GetUser"); this.id = id; }
 *   protected User run() { return users.fetch(id); }
 *   protected User fallback() { return User.anonymous(); }
 * }
 * User u = new GetUser(42).execute();
 * }</pre>
 *
 * <p>An instance runs once; running it again is an error. After it ran, it tells what happened:
 * its events, whether the fallback answered, what the execution threw.
 *
 * @param <T> the answer's type
 */
public abstract class Command<T> {

  private final BreakwaterRuntime runtime;
  private final CommandState state;
  private final Trace trace = new Trace();
  private final AtomicBoolean started = new AtomicBoolean();

  /** A command on the shared runtime, with the configuration the runtime has for its name. */
  protected Command(String name) {
    this(Breakwater.runtime(), name, null);
  }

  /** A command on the shared runtime, configured with {@code config}. */
  protected Command(String name, CommandConfig config) {
    this(Breakwater.runtime(), name, config);
  }

  /**
   * A command on {@code runtime}. A non-null {@code config} becomes the configuration of every
   * command with this name, from this execution on.
   */
  protected Command(BreakwaterRuntime runtime, String name, CommandConfig config) {
    this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
    this.state = runtime.engine().command(name);
    if (config != null && !config.equals(state.config())) {
      runtime.configure(name, config);
    }
  }

  /** The protected call. */
  protected abstract T run() throws Exception;

  /**
   * The answer to give when {@link #run()} fails, times out, is rejected or short-circuited.
   * {@link #failureKind()} and {@link #executionException()} say why. The default has none and
   * throws {@link UnsupportedOperationException}, which counts as a missing fallback.
   */
  protected T fallback() throws Exception {
    throw new UnsupportedOperationException("No fallback available.");
  }

  /**
   * The key under which this execution's answer is shared within the current request context,
   * or null (the default) for no caching. A {@code cacheKey} that throws fails the execution as
   * {@code run} throwing would: {@code FAILURE}, then the fallback.
   */
  protected String cacheKey() {
    return null;
  }

  /** Runs the command and waits for its answer. */
  public final T execute() {
    Call call = prepare();
    return runtime.engine().execute(state, call.key, call.body, this::fallbackFor, trace);
  }

  /** Runs the command behind a {@link Future}, as Hystrix's {@code queue()}. */
  public final Future<T> queue() {
    return executeAsync();
  }

  /**
   * Runs the command behind a {@link CompletableFuture}: on its pool or a virtual thread, or at
   * once on this thread under semaphore isolation. Cancelling the future cancels the execution.
   */
  public final CompletableFuture<T> executeAsync() {
    Call call = prepare();
    return runtime.engine().submit(state, call.key, call.body, this::fallbackFor, trace);
  }

  /** Whether the answer came from the request cache. */
  public final boolean isResponseFromCache() {
    return trace.has(EventType.RESPONSE_FROM_CACHE);
  }

  /** Same as {@link #executeAsync()}. */
  public final CompletableFuture<T> toCompletableFuture() {
    return executeAsync();
  }

  private T fallbackFor(FailureKind kind, Throwable cause) throws Exception {
    return fallback();
  }

  /** What one run executes: the cache key and the body, or the cache key's failure as body. */
  private final class Call {
    final String key;
    final Callable<T> body;

    Call(String key, Callable<T> body) {
      this.key = key;
      this.body = body;
    }
  }

  private Call prepare() {
    begin();
    try {
      return new Call(cacheKey(), this::run);
    } catch (RuntimeException e) {
      return new Call(null, () -> {
        throw e;
      });
    }
  }

  private void begin() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("command " + state.name()
          + " already ran; an instance runs once, create a new one for each call");
    }
  }

  /**
   * Marks this instance as the batch a collapser runs for {@code requests} requests: it counts
   * {@code COLLAPSED} that many times. Collapsers call this; applications have no need to.
   */
  public final void markAsCollapsedBatch(int requests) {
    trace.collapsed(requests);
  }

  /** The command's name. */
  public final String name() {
    return state.name();
  }

  /** The events of this execution so far. */
  public final Set<EventType> events() {
    return trace.events();
  }

  /** Whether {@link #run()} answered. */
  public final boolean isSuccessfulExecution() {
    return trace.has(EventType.SUCCESS);
  }

  /** Whether {@link #run()} threw. */
  public final boolean isFailedExecution() {
    return trace.has(EventType.FAILURE);
  }

  public final boolean isResponseFromFallback() {
    return trace.fromFallback();
  }

  public final boolean isResponseTimedOut() {
    return trace.has(EventType.TIMEOUT);
  }

  public final boolean isResponseShortCircuited() {
    return trace.has(EventType.SHORT_CIRCUITED);
  }

  public final boolean isResponseRejected() {
    return trace.has(EventType.SEMAPHORE_REJECTED) || trace.has(EventType.THREAD_POOL_REJECTED);
  }

  /** Why {@link #run()} did not answer, or null. */
  public final FailureKind failureKind() {
    return trace.failureKind();
  }

  /** What {@link #run()} threw (or the timeout), or null. */
  public final Throwable executionException() {
    return trace.failure();
  }

  /** Milliseconds spent in {@link #run()}, or -1 when it did not run. */
  public final long executionTimeMillis() {
    long nanos = trace.executionNanos();
    return nanos < 0 ? -1 : nanos / 1_000_000;
  }

  /** Whether the circuit of this command's name is refusing calls now. */
  public final boolean isCircuitBreakerOpen() {
    return runtime.snapshot(state.name()).circuitOpen();
  }
}
