package io.breakwater;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One-line protection for a call, on a runtime shared by the whole program:
 *
 * <pre>{@code
 * Breakwater.configure("my_command", CommandConfig.builder()
 *     .timeoutMillis(1000).maxConcurrentRequests(100).errorThresholdPercentage(25).build());
 * String answer = Breakwater.execute("my_command", () -> client.call(), (kind, cause) -> "cached");
 * }</pre>
 *
 * <p>The shared runtime is created on first use; {@link #runtime()} returns it for everything
 * else (metrics, listeners, thread pools). Programs that want their own, or tests that want a
 * fresh one, use {@link BreakwaterRuntime} directly.
 */
public final class Breakwater {

  private static final Object LOCK = new Object();
  private static volatile BreakwaterRuntime shared;

  private Breakwater() {}

  /** The shared runtime, created on first use. */
  public static BreakwaterRuntime runtime() {
    BreakwaterRuntime r = shared;
    if (r != null && !r.isClosed()) {
      return r;
    }
    synchronized (LOCK) { // guards creation of the shared runtime only
      if (shared == null || shared.isClosed()) {
        shared = BreakwaterRuntime.create();
      }
      return shared;
    }
  }

  /** Sets a command's configuration on the shared runtime. */
  public static void configure(String commandName, CommandConfig config) {
    runtime().configure(commandName, config);
  }

  /** Runs {@code run} as a command with no fallback; see {@link BreakwaterRuntime#execute}. */
  public static <T> T execute(String commandName, Callable<T> run) {
    return runtime().execute(commandName, run);
  }

  /** Runs {@code run} as a command; {@code fallback} answers when it cannot. */
  public static <T> T execute(String commandName, Callable<T> run, Fallback<T> fallback) {
    return runtime().execute(commandName, run, fallback);
  }

  /** Runs an asynchronous {@code run} as a command; see {@link BreakwaterRuntime#executeAsync}. */
  public static <T> CompletableFuture<T> executeAsync(
      String commandName, Supplier<? extends CompletionStage<? extends T>> run,
      Fallback<T> fallback) {
    return runtime().executeAsync(commandName, run, fallback);
  }

  /** Closes the shared runtime, stopping its threads; the next use creates a new one. */
  public static void shutdown() {
    synchronized (LOCK) {
      if (shared != null) {
        shared.close();
        shared = null;
      }
    }
  }
}
