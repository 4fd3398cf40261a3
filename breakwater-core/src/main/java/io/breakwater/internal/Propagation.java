package io.breakwater.internal;

import io.breakwater.context.ContextPropagator;
import io.breakwater.context.RequestContext;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context propagators of a runtime: captures the caller's context when an execution starts
 * and attaches it on whichever thread later runs user code for that execution. The
 * {@link RequestContext} is always carried; a propagator that throws is logged and skipped.
 */
final class Propagation {

  private static final Logger log = LoggerFactory.getLogger(Propagation.class);
  private static final RequestContext.Scope NOTHING = () -> { };

  private final CopyOnWriteArrayList<ContextPropagator<?>> propagators =
      new CopyOnWriteArrayList<>();

  void add(ContextPropagator<?> p) {
    propagators.add(p);
  }

  boolean remove(ContextPropagator<?> p) {
    return propagators.remove(p);
  }

  /** What the calling thread carries now; {@link Captured#NONE} when there is nothing. */
  Captured capture() {
    RequestContext ctx = RequestContext.current();
    Object[] all = propagators.toArray();
    if (ctx == null && all.length == 0) {
      return Captured.NONE;
    }
    Object[] values = new Object[all.length];
    for (int i = 0; i < all.length; i++) {
      try {
        values[i] = ((ContextPropagator<?>) all[i]).capture();
      } catch (RuntimeException e) {
        log.warn("Context propagator {} failed to capture; its context is not carried",
            all[i], e);
      }
    }
    return new Captured(ctx, all, values);
  }

  /** A caller's context, ready to be attached on another thread. */
  static final class Captured {
    static final Captured NONE = new Captured(null, new Object[0], new Object[0]);

    private final RequestContext context;
    private final Object[] propagators;
    private final Object[] values;

    private Captured(RequestContext context, Object[] propagators, Object[] values) {
      this.context = context;
      this.propagators = propagators;
      this.values = values;
    }

    /** Attaches this context to the current thread until the scope closes. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    RequestContext.Scope attach() {
      if (this == NONE) {
        return NOTHING;
      }
      RequestContext.Scope request = RequestContext.attach(context);
      RequestContext.Scope[] scopes = new RequestContext.Scope[propagators.length];
      for (int i = 0; i < propagators.length; i++) {
        try {
          scopes[i] = ((ContextPropagator) propagators[i]).attach(values[i]);
        } catch (RuntimeException e) {
          log.warn("Context propagator {} failed to attach; its context is not carried",
              propagators[i], e);
        }
      }
      return () -> {
        for (int i = scopes.length - 1; i >= 0; i--) {
          if (scopes[i] != null) {
            try {
              scopes[i].close();
            } catch (RuntimeException e) {
              log.warn("Context propagator {} failed to restore the thread's context",
                  propagators[i], e);
            }
          }
        }
        request.close();
      };
    }
  }
}
