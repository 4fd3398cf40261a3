package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.event.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** With N executions running, execution N+1 is refused at once and gets the fallback. */
class BulkheadTest {

  private static final int N = 4;
  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final ExecutorService callers = Executors.newFixedThreadPool(N);

  @AfterEach
  void tearDown() {
    callers.shutdownNow();
    runtime.close();
  }

  @Test
  void semaphoreRejectsCallNPlusOneImmediately() throws Exception {
    runtime.configure("bulkhead", CommandConfig.builder()
        .isolation(Isolation.SEMAPHORE).maxConcurrentRequests(N).timeoutEnabled(false).build());
    CountDownLatch running = new CountDownLatch(N);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> holders = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      holders.add(CompletableFuture.supplyAsync(() -> runtime.execute("bulkhead", () -> {
        running.countDown();
        release.await();
        return "held";
      }, (kind, cause) -> "fallback"), callers));
    }
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    long t0 = System.nanoTime();
    String answer = runtime.execute("bulkhead", () -> "ran", (kind, cause) -> kind.name());
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("REJECTED");
    assertThat(elapsedMillis).isLessThan(100);
    assertThat(runtime.snapshot("bulkhead").rollingCount(EventType.SEMAPHORE_REJECTED))
        .isEqualTo(1);
    assertThat(runtime.snapshot("bulkhead").currentConcurrency()).isEqualTo(N);

    release.countDown();
    for (CompletableFuture<String> h : holders) {
      assertThat(h.get(5, TimeUnit.SECONDS)).isEqualTo("held");
    }
    assertThat(runtime.execute("bulkhead", () -> "ran", (kind, cause) -> "fallback"))
        .isEqualTo("ran");
    assertThat(runtime.snapshot("bulkhead").rollingMaxConcurrency()).isGreaterThanOrEqualTo(N);
  }

  @Test
  void sequentialCallersOnManyThreadsAreNotCountedAsConcurrent() throws Exception {
    runtime.configure("one-at-a-time", CommandConfig.builder()
        .isolation(Isolation.SEMAPHORE).timeoutEnabled(false).build());
    for (int i = 0; i < 16; i++) { // threads land on different stripes
      Thread t = new Thread(() -> runtime.execute("one-at-a-time", () -> "ok", (k, c) -> "fb"));
      t.start();
      t.join();
    }
    assertThat(runtime.snapshot("one-at-a-time").rollingMaxConcurrency()).isEqualTo(1);
  }

  @Test
  void threadPoolRejectsCallNPlusOneImmediately() throws Exception {
    runtime.configure("pooled", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("pooled", ThreadPoolConfig.builder().coreSize(N).build());
    CountDownLatch running = new CountDownLatch(N);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> holders = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      holders.add(runtime.submit("pooled", () -> {
        running.countDown();
        release.await();
        return "held";
      }, (kind, cause) -> "fallback"));
    }
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    long t0 = System.nanoTime();
    String answer = runtime.execute("pooled", () -> "ran", (kind, cause) -> kind.name());
    long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;

    assertThat(answer).isEqualTo("REJECTED");
    assertThat(elapsedMillis).isLessThan(100);
    assertThat(runtime.snapshot("pooled").rollingCount(EventType.THREAD_POOL_REJECTED))
        .isEqualTo(1);
    release.countDown();
    for (CompletableFuture<String> h : holders) {
      assertThat(h.get(5, TimeUnit.SECONDS)).isEqualTo("held");
    }
  }

  @Test
  void fallbacksAreBoundedByTheirOwnSemaphore() throws Exception {
    runtime.configure("fallbacks", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .fallbackMaxConcurrentRequests(1).timeoutEnabled(false).build());
    CountDownLatch inFallback = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> slow = CompletableFuture.supplyAsync(() ->
        runtime.execute("fallbacks", () -> {
          throw new IllegalStateException("down");
        }, (kind, cause) -> {
          inFallback.countDown();
          release.await();
          return "slow fallback";
        }), callers);
    assertThat(inFallback.await(5, TimeUnit.SECONDS)).isTrue();

    CommandException refused = org.junit.jupiter.api.Assertions.assertThrows(
        CommandException.class, () -> runtime.execute("fallbacks", () -> {
          throw new IllegalStateException("down");
        }, (kind, cause) -> "second fallback"));

    assertThat(refused).hasMessage("fallbacks failed and fallback execution rejected.");
    // A constant fallback cannot block, so it needs no permit and still answers.
    assertThat(runtime.execute("fallbacks", () -> {
      throw new IllegalStateException("down");
    }, Fallback.of("constant"))).isEqualTo("constant");
    assertThat(runtime.snapshot("fallbacks").rollingCount(EventType.FALLBACK_REJECTION))
        .isEqualTo(1);
    release.countDown();
    assertThat(slow.get(5, TimeUnit.SECONDS)).isEqualTo("slow fallback");
  }
}
