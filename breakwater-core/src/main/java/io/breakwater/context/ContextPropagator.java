package io.breakwater.context;

/**
 * Carries thread-bound context (MDC, a tracing span, a security principal...) from the thread
 * that calls a command to every thread Breakwater runs the command's work on: pool threads,
 * virtual threads, the thread that runs a timeout's fallback, and the thread that finishes an
 * asynchronous execution. Register any number with
 * {@code BreakwaterRuntime.addContextPropagator}; the {@link RequestContext} is always carried.
 *
 * <p>{@link #capture()} runs on the caller's thread when the execution starts;
 * {@link #attach(Object)} runs on the other thread before Breakwater calls user code there, and
 * the scope it returns is closed right after, restoring whatever the thread had.
 *
 * @param <C> what is captured
 */
public interface ContextPropagator<C> {

  /** Reads the caller's context; may return null when there is nothing to carry. */
  C capture();

  /** Installs a captured context on the current thread until the scope closes. */
  RequestContext.Scope attach(C captured);

  /** Carries SLF4J's MDC. */
  static ContextPropagator<java.util.Map<String, String>> mdc() {
    return new ContextPropagator<>() {
      @Override
      public java.util.Map<String, String> capture() {
        return org.slf4j.MDC.getCopyOfContextMap();
      }

      @Override
      public RequestContext.Scope attach(java.util.Map<String, String> captured) {
        java.util.Map<String, String> previous = org.slf4j.MDC.getCopyOfContextMap();
        if (captured == null) {
          org.slf4j.MDC.clear();
        } else {
          org.slf4j.MDC.setContextMap(captured);
        }
        return () -> {
          if (previous == null) {
            org.slf4j.MDC.clear();
          } else {
            org.slf4j.MDC.setContextMap(previous);
          }
        };
      }

      @Override
      public String toString() {
        return "ContextPropagator.mdc()";
      }
    };
  }
}
