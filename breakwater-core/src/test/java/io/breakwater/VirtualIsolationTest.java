package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.breakwater.event.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Virtual-thread isolation, on Java 21 or newer (skipped on older JVMs). */
class VirtualIsolationTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @BeforeEach
  void needsVirtualThreads() {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21");
  }

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  @Test
  void runsEachExecutionOnAVirtualThread() {
    runtime.configure("virtual", CommandConfig.builder().isolation(Isolation.VIRTUAL).build());
    String name = runtime.execute("virtual", () -> Thread.currentThread().toString());
    assertThat(name).contains("VirtualThread").contains("breakwater-virtual-");
  }

  @Test
  void boundsConcurrencyWithTheSemaphore() throws Exception {
    runtime.configure("virtual", CommandConfig.builder().isolation(Isolation.VIRTUAL)
        .maxConcurrentRequests(3).timeoutEnabled(false).build());
    CountDownLatch running = new CountDownLatch(3);
    CountDownLatch release = new CountDownLatch(1);
    List<CompletableFuture<String>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(runtime.submit("virtual", () -> {
        running.countDown();
        release.await();
        return "held";
      }, Fallback.of("fallback")));
    }
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    assertThat(runtime.execute("virtual", () -> "ran", (k, c) -> k.name())).isEqualTo("REJECTED");
    assertThat(runtime.snapshot("virtual").rollingCount(EventType.SEMAPHORE_REJECTED))
        .isEqualTo(1);
    release.countDown();
    for (CompletableFuture<String> f : held) {
      assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("held");
    }
  }

  @Test
  void aHungCallIsAnsweredAtTheTimeout() {
    runtime.configure("virtual", CommandConfig.builder().isolation(Isolation.VIRTUAL)
        .timeoutMillis(150).build());
    long t0 = System.nanoTime();
    String answer = runtime.execute("virtual", () -> {
      Thread.sleep(10_000);
      return "late";
    }, (k, c) -> k.name());
    assertThat(answer).isEqualTo("TIMED_OUT");
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(150L, 350L);
  }
}
