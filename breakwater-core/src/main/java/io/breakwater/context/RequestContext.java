package io.breakwater.context;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The scope of one request (typically one inbound HTTP or RPC call), opened and closed by the
 * application:
 *
 * <pre>{@code
 * try (RequestContext ctx = RequestContext.open()) {
 *   ... commands run here share a request cache and a request log ...
 * }
 * }</pre>
 *
 * <p>It holds the request cache, the request log and request-scoped collapsers. Breakwater
 * carries it to every thread it runs the request's work on (pool threads, virtual threads, the
 * threads that run timeout fallbacks and async continuations), together with whatever the
 * registered {@link ContextPropagator}s carry (MDC, tracing, security).
 *
 * <p>Contexts nest: opening one inside another makes the new one current until it is closed,
 * then the outer one is current again. Closing releases everything it holds.
 */
public final class RequestContext implements AutoCloseable {

  private static final ThreadLocal<RequestContext> CURRENT = new ThreadLocal<>();

  /**
   * Whether any context was ever opened in this JVM. Commands check it before looking up the
   * thread-local, so that programs that never use contexts pay nothing for them.
   */
  private static volatile boolean used;

  private final RequestContext outer;
  private final Thread owner;
  private final RequestCache cache = new RequestCache();
  private final RequestLog log = new RequestLog();
  private final ConcurrentHashMap<Object, Object> scoped = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private RequestContext(RequestContext outer) {
    this.outer = outer;
    this.owner = Thread.currentThread();
  }

  /** Opens a context and makes it current on this thread. */
  public static RequestContext open() {
    used = true;
    RequestContext ctx = new RequestContext(CURRENT.get());
    CURRENT.set(ctx);
    return ctx;
  }

  /** The context current on this thread, or null. */
  public static RequestContext current() {
    return used ? CURRENT.get() : null;
  }

  /**
   * The context current on this thread.
   *
   * @param feature what needs it, for the message, e.g. {@code "Request caching"}
   * @throws IllegalStateException saying how to open one, when there is none
   */
  public static RequestContext require(String feature) {
    RequestContext ctx = current();
    if (ctx == null || ctx.closed) {
      throw new IllegalStateException(feature + " needs an open RequestContext on this thread: "
          + "wrap the request in try (RequestContext ctx = RequestContext.open()) { ... }");
    }
    return ctx;
  }

  /**
   * Makes {@code ctx} current on this thread until the returned scope is closed; used to carry a
   * context to another thread. A null {@code ctx} clears the current one for the scope.
   */
  public static Scope attach(RequestContext ctx) {
    if (ctx != null) {
      used = true;
    }
    RequestContext previous = CURRENT.get();
    CURRENT.set(ctx);
    return () -> {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    };
  }

  /** This request's cache. */
  public RequestCache cache() {
    return cache;
  }

  /** What ran in this request. */
  public RequestLog log() {
    return log;
  }

  /**
   * A value kept for the life of this context, created on first use; request-scoped collapsers
   * keep their queues here.
   */
  @SuppressWarnings("unchecked")
  public <V> V scoped(Object key, java.util.function.Function<Object, V> create) {
    Objects.requireNonNull(key, "key");
    return (V) scoped.computeIfAbsent(key, create);
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes the context: its cache and scoped values are released, and the context that was
   * current when this one opened becomes current again on the opening thread.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    cache.clear();
    for (Object v : scoped.values()) {
      if (v instanceof AutoCloseable) {
        try {
          ((AutoCloseable) v).close();
        } catch (Exception e) {
          org.slf4j.LoggerFactory.getLogger(RequestContext.class)
              .warn("A request-scoped value failed to close", e);
        }
      }
    }
    scoped.clear();
    if (Thread.currentThread() == owner && CURRENT.get() == this) {
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    }
  }

  /** A context attached to a thread for a while. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }
}
