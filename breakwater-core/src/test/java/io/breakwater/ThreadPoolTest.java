package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.breakwater.event.EventType;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadPoolTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    runtime.close();
  }

  private List<CompletableFuture<String>> hold(String command, int calls, CountDownLatch started) {
    List<CompletableFuture<String>> held = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      held.add(runtime.submit(command, () -> {
        started.countDown();
        release.await();
        return "done";
      }, (kind, cause) -> kind.name()));
    }
    return held;
  }

  private ThreadPoolSnapshot pool(String key) {
    return runtime.snapshot().threadPools().stream().filter(p -> p.name().equals(key))
        .findFirst().orElseThrow();
  }

  @Test
  void poolKeyComesFromOverrideThenGroupThenName() {
    runtime.configure("a", CommandConfig.builder().group("users").build());
    runtime.configure("b", CommandConfig.builder().group("users").threadPoolKey("special")
        .build());
    assertThat(runtime.execute("a", () -> Thread.currentThread().getName()))
        .startsWith("breakwater-users-");
    assertThat(runtime.execute("b", () -> Thread.currentThread().getName()))
        .startsWith("breakwater-special-");
    assertThat(runtime.execute("c", () -> Thread.currentThread().getName()))
        .startsWith("breakwater-c-");
  }

  @Test
  void asManyCallersAsThreadsCallingBackToBackAreNeverRejected() throws Exception {
    // A direct hand-off pool wakes the caller before its worker is back at the queue, so the
    // caller's next call found no idle thread and was rejected although the pool had room.
    runtime.configure("tight", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("tight", ThreadPoolConfig.builder().coreSize(4).build());
    java.util.concurrent.ExecutorService callers =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        done.add(callers.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            runtime.execute("tight", () -> "x", (k, cause) -> k.name());
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(runtime.snapshot("tight").cumulativeCount(EventType.THREAD_POOL_REJECTED))
        .isZero();
    assertThat(runtime.snapshot("tight").cumulativeCount(EventType.SUCCESS)).isEqualTo(8_000);
  }

  @Test
  void aDivergingPoolGrowsToItsMaximumThenRejects() throws Exception {
    runtime.configure("grows", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("grows", ThreadPoolConfig.builder().coreSize(1).maximumSize(3)
        .allowMaximumSizeToDivergeFromCoreSize(true).build());
    CountDownLatch three = new CountDownLatch(3);
    List<CompletableFuture<String>> held = hold("grows", 3, three);
    assertThat(three.await(5, TimeUnit.SECONDS)).as("three run at once on a pool of core 1")
        .isTrue();
    assertThat(pool("grows").poolSize()).isEqualTo(3);
    assertThat(runtime.execute("grows", () -> "ran", (k, c) -> k.name())).isEqualTo("REJECTED");
    release.countDown();
    for (CompletableFuture<String> f : held) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    }
  }

  @Test
  void growsAndShrinksAtRunTimeInEitherDirection() throws Exception {
    runtime.configure("grow", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("grow", ThreadPoolConfig.builder().coreSize(2).build());
    CountDownLatch two = new CountDownLatch(2);
    List<CompletableFuture<String>> held = hold("grow", 3, two);
    assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(held.get(2).get(5, TimeUnit.SECONDS)).isEqualTo("REJECTED");

    // core grows past the old maximum: Hystrix threw here (its issue 1897)
    runtime.configureThreadPool("grow", ThreadPoolConfig.builder().coreSize(5).build());
    CountDownLatch three = new CountDownLatch(3);
    List<CompletableFuture<String>> more = hold("grow", 3, three);
    assertThat(three.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(pool("grow").corePoolSize()).isEqualTo(5);
    assertThat(pool("grow").maximumPoolSize()).isEqualTo(5);

    runtime.configureThreadPool("grow", ThreadPoolConfig.builder().coreSize(1).build());
    assertThat(pool("grow").corePoolSize()).isEqualTo(1);
    assertThat(pool("grow").maximumPoolSize()).isEqualTo(1);
    release.countDown();
    for (CompletableFuture<String> f : more) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    }
  }

  @Test
  void aQueueRejectsAtItsThresholdNotItsCapacity() throws Exception {
    runtime.configure("queued", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("queued", ThreadPoolConfig.builder().coreSize(1)
        .maxQueueSize(10).queueSizeRejectionThreshold(2).build());
    CountDownLatch one = new CountDownLatch(1);
    List<CompletableFuture<String>> held = hold("queued", 1, one);
    assertThat(one.await(5, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<String>> queued = hold("queued", 2, new CountDownLatch(2));
    await().atMost(Duration.ofSeconds(2)).until(() -> pool("queued").queueSize() == 2);

    assertThat(runtime.execute("queued", () -> "ran", (k, c) -> k.name())).isEqualTo("REJECTED");
    assertThat(pool("queued").rollingCountCommandRejections()).isEqualTo(1);
    assertThat(runtime.snapshot("queued").rollingCount(EventType.THREAD_POOL_REJECTED))
        .isEqualTo(1);

    runtime.configureThreadPool("queued", ThreadPoolConfig.builder().coreSize(1)
        .maxQueueSize(10).queueSizeRejectionThreshold(5).build());
    held.addAll(queued);
    held.addAll(hold("queued", 1, new CountDownLatch(1)));
    assertThat(pool("queued").rollingCountCommandRejections()).isEqualTo(1);
    release.countDown();
    for (CompletableFuture<String> f : held) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    }
    // A worker counts its task just after handing over the answer.
    await().atMost(Duration.ofSeconds(2))
        .until(() -> pool("queued").rollingCountThreadsExecuted() == 4);
  }

  /** Submits {@code calls} held calls and waits until the pool has taken them all in. */
  private List<CompletableFuture<String>> holdAndSettle(String key, int calls, int running,
      int queued) {
    List<CompletableFuture<String>> held = hold(key, calls, new CountDownLatch(calls));
    await().atMost(Duration.ofSeconds(5)).until(() -> pool(key).activeCount() == running
        && pool(key).queueSize() == queued);
    return held;
  }

  @Test
  void aDivergingPoolWithAQueueAtItsThresholdStaysAtCoreAsHystrix() throws Exception {
    // Hystrix refuses at the threshold before the queue is ever full, so it never grows.
    runtime.configure("hq", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("hq", ThreadPoolConfig.builder().coreSize(2).maximumSize(10)
        .allowMaximumSizeToDivergeFromCoreSize(true).maxQueueSize(5)
        .queueSizeRejectionThreshold(5).build());
    List<CompletableFuture<String>> held = holdAndSettle("hq", 7, 2, 5);
    List<CompletableFuture<String>> refused = hold("hq", 13, new CountDownLatch(13));
    for (CompletableFuture<String> f : refused) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("REJECTED");
    }
    assertThat(pool("hq").poolSize()).isEqualTo(2);
    assertThat(pool("hq").queueSize()).isEqualTo(5);
    release.countDown();
    for (CompletableFuture<String> f : held) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    }
  }

  @Test
  void aDivergingPoolGrowsWhenItsQueueIsFullBelowTheThreshold() throws Exception {
    // A threshold above the queue's capacity lets the queue fill; then the pool grows.
    runtime.configure("hg", CommandConfig.builder().timeoutEnabled(false).build());
    runtime.configureThreadPool("hg", ThreadPoolConfig.builder().coreSize(2).maximumSize(10)
        .allowMaximumSizeToDivergeFromCoreSize(true).maxQueueSize(5)
        .queueSizeRejectionThreshold(10).build());
    List<CompletableFuture<String>> held = holdAndSettle("hg", 7, 2, 5);
    held.addAll(holdAndSettle("hg", 8, 10, 5));
    List<CompletableFuture<String>> refused = hold("hg", 5, new CountDownLatch(5));
    for (CompletableFuture<String> f : refused) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("REJECTED");
    }
    assertThat(pool("hg").poolSize()).isEqualTo(10);
    release.countDown();
    for (CompletableFuture<String> f : held) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    }
  }

  @Test
  void aCallerInterruptedWhileWaitingGetsAnExceptionThatIsCounted() throws Exception {
    runtime.configure("waited", CommandConfig.builder().timeoutMillis(30_000).build());
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Throwable> got = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        runtime.execute("waited", () -> {
          started.countDown();
          release.await();
          return "done";
        }, (k, c) -> "fallback");
      } catch (Throwable t) {
        got.set(t);
      }
    });
    caller.start();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    caller.interrupt();
    caller.join(5_000);

    assertThat(got.get()).isInstanceOf(CommandException.class)
        .hasMessageContaining("interrupted while waiting");
    assertThat(runtime.snapshot("waited").cumulativeCount(EventType.CANCELLED)).isEqualTo(1);
    assertThat(runtime.snapshot("waited").cumulativeCount(EventType.EXCEPTION_THROWN))
        .as("every exception a caller receives is counted").isEqualTo(1);
  }

  @Test
  void cancellingAQueuedFutureInterruptsOnlyWhenConfigured() throws Exception {
    for (boolean interrupt : new boolean[] {false, true}) {
      String name = "cancel-" + interrupt;
      runtime.configure(name, CommandConfig.builder().timeoutEnabled(false)
          .interruptOnFutureCancel(interrupt).build());
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch finished = new CountDownLatch(1);
      boolean[] interrupted = new boolean[1];
      CompletableFuture<String> f = runtime.submit(name, () -> {
        started.countDown();
        try {
          Thread.sleep(interrupt ? 10_000 : 300);
        } catch (InterruptedException e) {
          interrupted[0] = true;
        }
        finished.countDown();
        return "done";
      }, null);
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(f.cancel(true)).isTrue();
      assertThat(finished.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(interrupted[0]).as("interrupted with interruptOnFutureCancel=" + interrupt)
          .isEqualTo(interrupt);
      assertThat(runtime.snapshot(name).rollingCount(EventType.CANCELLED)).isEqualTo(1);
    }
  }
}
