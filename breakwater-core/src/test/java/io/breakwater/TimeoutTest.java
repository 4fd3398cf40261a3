package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.event.EventType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every isolation answers a hung call at its timeout. */
class TimeoutTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private static final class Hang {
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicBoolean interrupted = new AtomicBoolean();
    final AtomicReference<Thread> thread = new AtomicReference<>();

    String call() {
      thread.set(Thread.currentThread());
      started.countDown();
      try {
        Thread.sleep(10_000);
        return "late";
      } catch (InterruptedException e) {
        interrupted.set(true);
        return "interrupted";
      }
    }
  }

  @Test
  void threadIsolatedCallThatHangsTenSecondsGetsTheFallbackAtTheTimeoutAndIsInterrupted() {
    runtime.configure("hang", CommandConfig.builder().timeoutMillis(200).build());
    Hang hang = new Hang();
    // Warm up the pool's first thread and the classes of the path, so only the timeout counts.
    runtime.configure("warm", CommandConfig.builder().threadPoolKey("hang").build());
    runtime.execute("warm", () -> "warm", (kind, cause) -> "fallback");
    runtime.execute("warm", () -> {
      throw new IllegalStateException("warm");
    }, (kind, cause) -> "fallback");

    long t0 = System.nanoTime();
    String answer = runtime.execute("hang", hang::call, (kind, cause) -> kind + ":" + cause);
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("TIMED_OUT:java.util.concurrent.TimeoutException: "
        + "hang timed out after 200 ms");
    assertThat(elapsedMillis).isBetween(200L, 250L);
    await().atMost(Duration.ofSeconds(2)).untilTrue(hang.interrupted);
    assertThat(hang.thread.get().getName()).startsWith("breakwater-hang-");
    assertThat(runtime.snapshot("hang").rollingCount(EventType.TIMEOUT)).isEqualTo(1);
    assertThat(runtime.snapshot("hang").rollingCount(EventType.FALLBACK_SUCCESS)).isEqualTo(1);
  }

  @Test
  void semaphoreIsolatedCallIsInterruptedAtTheTimeoutAndGetsTheFallback() {
    runtime.configure("hang", CommandConfig.builder()
        .isolation(Isolation.SEMAPHORE).timeoutMillis(200).build());
    Hang hang = new Hang();

    long t0 = System.nanoTime();
    String answer = runtime.execute("hang", hang::call, (kind, cause) -> kind.name());
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("TIMED_OUT");
    assertThat(elapsedMillis).isBetween(200L, 350L);
    assertThat(hang.interrupted).isTrue();
    assertThat(Thread.currentThread().isInterrupted())
        .as("the timeout's interrupt must not leak into the caller's next steps").isFalse();
  }

  @Test
  void timedOutWithoutFallbackThrowsCommandExceptionWithTheTimeoutAsCause() {
    runtime.configure("hang", CommandConfig.builder().timeoutMillis(100).build());
    Hang hang = new Hang();

    assertThatThrownBy(() -> runtime.execute("hang", hang::call))
        .isInstanceOf(CommandException.class)
        .hasMessage("hang timed-out and no fallback available.")
        .hasCauseInstanceOf(TimeoutException.class)
        .satisfies(e -> assertThat(((CommandException) e).kind())
            .isEqualTo(FailureKind.TIMED_OUT));
  }

  @Test
  void futureOfAThreadIsolatedCallCompletesWithTheFallbackAtTheTimeout() throws Exception {
    runtime.configure("hang", CommandConfig.builder().timeoutMillis(200).build());
    Hang hang = new Hang();

    long t0 = System.nanoTime();
    CompletableFuture<String> f =
        runtime.submit("hang", hang::call, (kind, cause) -> "fallback");
    String answer = f.get(2, TimeUnit.SECONDS);
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("fallback");
    assertThat(elapsedMillis).isBetween(200L, 350L);
    await().atMost(Duration.ofSeconds(2)).untilTrue(hang.interrupted);
  }

  @Test
  void asyncRunIsCancelledAtTheTimeoutAndTheFallbackAnswers() throws Exception {
    runtime.configure("async", CommandConfig.builder().timeoutMillis(150).build());
    CompletableFuture<String> never = new CompletableFuture<>();

    long t0 = System.nanoTime();
    String answer = runtime.executeAsync("async", () -> never, (kind, cause) -> "fallback")
        .get(2, TimeUnit.SECONDS);
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("fallback");
    assertThat(elapsedMillis).isBetween(150L, 300L);
    assertThat(never).isCancelled();
    assertThat(runtime.snapshot("async").rollingCount(EventType.TIMEOUT)).isEqualTo(1);
  }

  @Test
  void theTimerThreadStopsWhenTheRuntimeCloses() throws Exception {
    runtime.configure("quick", CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    runtime.execute("quick", () -> "ok");
    assertThat(threadNamed("breakwater-timer-")).isTrue();

    runtime.close();

    await().atMost(Duration.ofSeconds(2)).until(() -> !threadNamed("breakwater-timer-"));
  }

  private static boolean threadNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().startsWith(prefix) && t.isAlive());
  }
}
