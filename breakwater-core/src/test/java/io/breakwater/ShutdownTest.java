package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.breakwater.collapse.CollapsedRequest;
import io.breakwater.collapse.Collapser;
import io.breakwater.collapse.CollapserConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Closing a runtime with calls in flight answers each of them and stops every thread. */
class ShutdownTest {

  private static long breakwaterThreads(String runtimeMark) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("breakwater-")
            && t.getName().contains(runtimeMark))
        .count();
  }

  @Test
  void everyCallInFlightIsAnsweredAndEveryThreadStops() throws Exception {
    BreakwaterRuntime runtime = BreakwaterRuntime.create();
    runtime.configure("async", CommandConfig.builder().timeoutMillis(60_000).build());
    runtime.configure("pooled", CommandConfig.builder().timeoutMillis(60_000)
        .threadPoolKey("closing-pool").build());
    runtime.configureThreadPool("closing-pool", ThreadPoolConfig.builder().coreSize(1)
        .maxQueueSize(5).build());

    CompletableFuture<String> never = new CompletableFuture<>();
    CompletableFuture<String> async =
        runtime.executeAsync("async", () -> never, (k, c) -> "async:" + k);

    CountDownLatch running = new CountDownLatch(1);
    CompletableFuture<String> busy = runtime.submit("pooled", () -> {
      running.countDown();
      Thread.sleep(60_000);
      return "late";
    }, (k, c) -> "busy:" + k);
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> queued =
        runtime.submit("pooled", () -> "never started", (k, c) -> "queued:" + k);

    CompletableFuture<Integer> batched;
    class Echo extends Collapser<Integer, Integer, Integer> {
      Echo() {
        super(runtime, "echo", CollapserConfig.builder().timerDelayMillis(60_000)
            .scope(CollapserConfig.Scope.GLOBAL).build());
      }

      @Override
      protected Integer requestArgument() {
        return 7;
      }

      @Override
      protected Command<Integer> createCommand(Collection<CollapsedRequest<Integer, Integer>> r) {
        return new Command<>(runtime, "echoBatch", CommandConfig.builder()
            .isolation(Isolation.SEMAPHORE).build()) {
          @Override
          protected Integer run() {
            return r.size();
          }
        };
      }

      @Override
      protected void mapResponseToRequests(
          Integer size, Collection<CollapsedRequest<Integer, Integer>> requests) {
        requests.forEach(q -> q.setResponse(q.argument() * size));
      }
    }
    batched = new Echo().toCompletableFuture();

    long t0 = System.nanoTime();
    runtime.close();

    assertThat(async.get(5, TimeUnit.SECONDS)).isEqualTo("async:TIMED_OUT");
    assertThat(never).isCancelled();
    assertThat(queued.get(5, TimeUnit.SECONDS)).isEqualTo("queued:TIMED_OUT");
    // Closing fires every pending timeout before it stops the pools, so the running call is
    // answered as timed out (and interrupted), never left to race its own interruption.
    assertThat(busy.get(5, TimeUnit.SECONDS)).isEqualTo("busy:TIMED_OUT");
    // The pending batch runs at once; its command is refused by the closed runtime, so the
    // caller is answered with that refusal rather than left waiting for the window.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> batched.get(5, TimeUnit.SECONDS))
        .hasRootCauseMessage("this Breakwater runtime is closed");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);

    assertThat(runtime.engine().awaitTermination(5_000)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> breakwaterThreads("closing-pool") == 0
        && Thread.getAllStackTraces().keySet().stream().noneMatch(
            t -> t.isAlive() && t.getName().matches("breakwater-(timer|helper)-.*")
                && belongsTo(t, runtime)));
  }

  @Test
  void aCallerWaitingOnAWorkerIsAnsweredAtCloseEvenIfRunIgnoresInterrupts() throws Exception {
    BreakwaterRuntime runtime = BreakwaterRuntime.create();
    runtime.configure("stubborn", CommandConfig.builder().timeoutMillis(60_000).build());
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    CompletableFuture<String> answer = CompletableFuture.supplyAsync(
        () -> runtime.execute("stubborn", () -> {
          running.countDown();
          while (true) {
            try {
              if (letGo.await(10, TimeUnit.SECONDS)) {
                return "late";
              }
            } catch (InterruptedException ignored) {
              // this dependency ignores interrupts
            }
          }
        }, (k, c) -> "fallback:" + k));
    assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();

    long t0 = System.nanoTime();
    runtime.close();

    assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("fallback:TIMED_OUT");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2_000);
    letGo.countDown();
    assertThat(runtime.engine().awaitTermination(5_000)).isTrue();
  }

  private static boolean belongsTo(Thread t, BreakwaterRuntime runtime) {
    // Timer and helper threads carry their runtime's number; other tests' runtimes may live on.
    return t.getName().endsWith("-" + runtime.engine().id())
        || t.getName().contains("-" + runtime.engine().id() + "-");
  }
}
