package io.breakwater.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.Fallback;
import io.breakwater.Isolation;
import io.breakwater.event.EventType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestCacheTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final AtomicInteger runs = new AtomicInteger();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private final class GetUser extends Command<String> {
    private final int id;

    GetUser(int id) {
      super(runtime, "GetUser", null);
      this.id = id;
    }

    @Override
    protected String run() {
      runs.incrementAndGet();
      return "user-" + id;
    }

    @Override
    protected String cacheKey() {
      return String.valueOf(id);
    }
  }

  @Test
  void theSecondCallWithTheSameKeyIsAnsweredFromTheCacheWithoutRunning() {
    try (RequestContext ctx = RequestContext.open()) {
      GetUser first = new GetUser(1);
      GetUser second = new GetUser(1);
      GetUser other = new GetUser(2);
      assertThat(first.execute()).isEqualTo("user-1");
      assertThat(second.execute()).isEqualTo("user-1");
      assertThat(other.execute()).isEqualTo("user-2");

      assertThat(runs).hasValue(2);
      assertThat(first.isResponseFromCache()).isFalse();
      assertThat(second.isResponseFromCache()).isTrue();
      assertThat(second.events()).containsExactly(EventType.RESPONSE_FROM_CACHE);
      assertThat(runtime.snapshot("GetUser").rollingCount(EventType.RESPONSE_FROM_CACHE))
          .isEqualTo(1);
    }
  }

  @Test
  void eachRequestHasItsOwnCache() {
    try (RequestContext ctx = RequestContext.open()) {
      new GetUser(1).execute();
    }
    try (RequestContext ctx = RequestContext.open()) {
      new GetUser(1).execute();
    }
    assertThat(runs).hasValue(2);
  }

  @Test
  void twoConcurrentCallersWithTheSameKeyRunTheCommandOnce() throws Exception {
    CountDownLatch inRun = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger executed = new AtomicInteger();
    try (RequestContext ctx = RequestContext.open()) {
      CompletableFuture<String> a = runtime.executeAsync("Dedup", "k", () ->
          CompletableFuture.supplyAsync(() -> {
            executed.incrementAndGet();
            inRun.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return "shared";
          }), Fallback.of("fallback"));
      assertThat(inRun.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<String> b = runtime.executeAsync("Dedup", "k", () ->
          CompletableFuture.completedFuture("second ran"), Fallback.of("fallback"));
      assertThat(b).isNotDone();
      release.countDown();
      assertThat(a.get(5, TimeUnit.SECONDS)).isEqualTo("shared");
      assertThat(b.get(5, TimeUnit.SECONDS)).isEqualTo("shared");
    }
    assertThat(executed).hasValue(1);
    assertThat(runtime.snapshot("Dedup").cumulativeCount(EventType.RESPONSE_FROM_CACHE))
        .isEqualTo(1);
  }

  @Test
  void invalidatingAKeyMakesTheNextCallRunAgain() {
    try (RequestContext ctx = RequestContext.open()) {
      new GetUser(1).execute();
      ctx.cache().invalidate("GetUser", "1");
      new GetUser(1).execute();
    }
    assertThat(runs).hasValue(2);
  }

  @Test
  void failuresAreSharedToo() {
    runtime.configure("Broken", CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    try (RequestContext ctx = RequestContext.open()) {
      for (int i = 0; i < 2; i++) {
        assertThatThrownBy(() -> runtime.execute("Broken", "k", () -> {
          runs.incrementAndGet();
          throw new IllegalStateException("down");
        }, null)).hasMessage("Broken failed and no fallback available.");
      }
    }
    assertThat(runs).hasValue(1);
  }

  @Test
  void cachingWithoutAContextSaysHowToOpenOne() {
    assertThatThrownBy(() -> new GetUser(1).execute())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Request caching needs an open RequestContext on this thread: wrap the "
            + "request in try (RequestContext ctx = RequestContext.open()) { ... }");
  }

  @Test
  void withCachingDisabledAKeyIsIgnoredAndNoContextIsNeeded() {
    runtime.configure("GetUser", CommandConfig.builder().requestCacheEnabled(false).build());
    new GetUser(1).execute();
    new GetUser(1).execute();
    assertThat(runs).hasValue(2);
  }

  @Test
  void aCacheKeyThatThrowsFailsTheExecutionLikeRun() {
    Command<String> c = new Command<>(runtime, "BadKey", null) {
      @Override
      protected String run() {
        return "ran";
      }

      @Override
      protected String cacheKey() {
        throw new IllegalArgumentException("no key");
      }

      @Override
      protected String fallback() {
        return "fallback: " + executionException().getMessage();
      }
    };
    assertThat(c.execute()).isEqualTo("fallback: no key");
    assertThat(c.events()).containsExactlyInAnyOrder(
        EventType.FAILURE, EventType.FALLBACK_SUCCESS);
  }
}
