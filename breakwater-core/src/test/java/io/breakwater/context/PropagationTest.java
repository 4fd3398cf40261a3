package io.breakwater.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** MDC and the request context reach every thread Breakwater runs user code on. */
class PropagationTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @BeforeEach
  void setUp() {
    runtime.addContextPropagator(ContextPropagator.mdc());
    MDC.put("requestId", "r-42");
  }

  @AfterEach
  void tearDown() {
    MDC.clear();
    runtime.close();
  }

  @Test
  void reachesThePoolThreadAndIsRemovedAfterwards() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    AtomicReference<RequestContext> seenCtx = new AtomicReference<>();
    AtomicReference<String> thread = new AtomicReference<>();
    try (RequestContext ctx = RequestContext.open()) {
      runtime.execute("Pooled", () -> {
        seen.set(MDC.get("requestId"));
        seenCtx.set(RequestContext.current());
        thread.set(Thread.currentThread().getName());
        return "ok";
      });
      assertThat(seenCtx.get()).isSameAs(ctx);
    }
    assertThat(seen.get()).isEqualTo("r-42");
    assertThat(thread.get()).startsWith("breakwater-Pooled-");

    // The same pool thread, called without MDC, must not see the old value.
    MDC.clear();
    AtomicReference<String> later = new AtomicReference<>("unset");
    runtime.execute("Pooled", () -> {
      later.set(MDC.get("requestId"));
      return "ok";
    });
    assertThat(later.get()).isNull();
  }

  @Test
  void reachesTheFallbackOfATimedOutFuture() throws Exception {
    runtime.configure("Slow", CommandConfig.builder().timeoutMillis(100).build());
    AtomicReference<String> inFallback = new AtomicReference<>();
    AtomicReference<String> fallbackThread = new AtomicReference<>();
    CompletableFuture<String> f = runtime.submit("Slow", () -> {
      Thread.sleep(5_000);
      return "late";
    }, (kind, cause) -> {
      inFallback.set(MDC.get("requestId"));
      fallbackThread.set(Thread.currentThread().getName());
      return "fallback";
    });
    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("fallback");
    assertThat(inFallback.get()).isEqualTo("r-42");
    assertThat(fallbackThread.get()).startsWith("breakwater-helper-");
  }

  @Test
  void reachesTheContinuationOfAnAsyncRun() throws Exception {
    AtomicReference<String> inFallback = new AtomicReference<>();
    CompletableFuture<String> upstream = new CompletableFuture<>();
    CompletableFuture<String> f = runtime.executeAsync("Async", () -> upstream,
        (kind, cause) -> {
          inFallback.set(MDC.get("requestId"));
          return "fallback";
        });
    Thread other = new Thread(() -> upstream.completeExceptionally(new IllegalStateException()));
    other.start();
    other.join();
    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("fallback");
    assertThat(inFallback.get()).isEqualTo("r-42");
  }

  @Test
  void reachesVirtualThreads() {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21");
    runtime.configure("Virtual", CommandConfig.builder().isolation(Isolation.VIRTUAL).build());
    assertThat(runtime.execute("Virtual", () -> MDC.get("requestId"))).isEqualTo("r-42");
  }

  @Test
  void aPropagatorThatThrowsIsSkippedAndTheCallStillRuns() {
    runtime.addContextPropagator(new ContextPropagator<Object>() {
      @Override
      public Object capture() {
        throw new IllegalStateException("broken propagator");
      }

      @Override
      public RequestContext.Scope attach(Object captured) {
        throw new IllegalStateException("broken propagator");
      }
    });
    assertThat(runtime.execute("Pooled", () -> MDC.get("requestId"))).isEqualTo("r-42");
  }
}
