package io.breakwater.resilience;

import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.discovery.Ticker;
import io.breakwater.example.proto.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A program that runs the example service with calls in flight and shuts everything down the
 * way an application does on SIGTERM, then simply returns from {@code main}. {@link
 * ShutdownTest} runs it in its own JVM and expects that JVM to end by itself.
 */
public final class ShutdownProgram {

  private ShutdownProgram() {}

  public static void main(String[] args) throws Exception {
    ServiceStack s = new ServiceStack(Ticker.system(), false, Duration.ofMillis(500));
    s.client.call("ready");
    List<CompletableFuture<String>> inFlight = new ArrayList<>();
    s.server.latency(Duration.ofMillis(100));
    for (int i = 0; i < 20; i++) {
      inFlight.add(s.client.callAsync("slow-" + i).thenApply(Response::getMsg));
    }
    Thread.sleep(50);
    s.server.hang(true);
    for (int i = 0; i < 10; i++) {
      inFlight.add(s.client.callAsync("stuck-" + i).thenApply(Response::getMsg));
    }
    s.runtime.configure("pooled", CommandConfig.builder().isolation(Isolation.THREAD)
        .timeoutMillis(60_000).build());
    for (int i = 0; i < 10; i++) {
      inFlight.add(s.runtime.submit("pooled", () -> {
        Thread.sleep(60_000);
        return "late";
      }, (kind, cause) -> "fallback:" + kind.text()));
    }
    Thread.sleep(100);

    // SIGTERM: stop serving (deregister, drain), then the client side, then the registries.
    s.runner.close();
    s.client.close();
    s.runtime.close();
    s.close();

    CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0]))
        .handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    long answered = inFlight.stream().filter(CompletableFuture::isDone).count();
    Map<String, Long> tally = ShutdownTest.tally(inFlight);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!ThreadCensus.live(ThreadCensus::ours).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    System.out.println("[figures] shutdown program: " + answered + " of " + inFlight.size()
        + " calls in flight answered " + tally + "; threads left: "
        + ThreadCensus.names(ThreadCensus::ours) + "; non-daemon threads other than main: "
        + ThreadCensus.names(t -> !t.isDaemon() && t != Thread.currentThread()
            && !t.getName().equals("DestroyJavaVM")));
  }
}
