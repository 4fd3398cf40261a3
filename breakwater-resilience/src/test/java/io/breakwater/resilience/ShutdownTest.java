package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.discovery.Ticker;
import io.breakwater.example.ExampleClient;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.example.proto.Response;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scenario 6, shutdown: closing Breakwater, and the service runner, while calls are in flight
 * completes or fails each of them, deregisters the instance, and stops every thread started;
 * and a program doing all this ends on its own, without {@code System.exit}.
 */
class ShutdownTest {

  private static final Request REQUEST = Request.newBuilder().setName("bye").build();

  @BeforeAll
  static void warmUp() {
    try (ServiceStack s = new ServiceStack(Ticker.system(), false, Duration.ofSeconds(1))) {
      s.client.call("warm");
    }
  }

  @Test
  void closingTheRuntimeAnswersEveryCallInFlightAndStopsItsThreads() throws Exception {
    int before = ThreadCensus.awaitAtMost(0, Duration.ofSeconds(2));
    Map<String, Long> outcomes;
    long closeMillis;
    long answeredWithin;
    try (ServiceStack s = new ServiceStack(Ticker.system(), false, Duration.ofMillis(500))) {
      s.client.call("ready");
      s.server.hang(true);
      List<CompletableFuture<String>> inFlight = new ArrayList<>();

      // 30 gRPC calls through the interceptor, each holding a permit of my_command.
      for (int i = 0; i < 30; i++) {
        inFlight.add(s.client.callAsync("grpc-" + i).thenApply(Response::getMsg));
      }
      // 6 thread-isolated calls blocked in run, and 6 more waiting in the pool's queue.
      s.runtime.configure("pooled", CommandConfig.builder().isolation(Isolation.THREAD)
          .timeoutMillis(60_000).build());
      s.runtime.configureThreadPool("pooled", io.breakwater.ThreadPoolConfig.builder()
          .coreSize(6).maxQueueSize(10).queueSizeRejectionThreshold(10).build());
      for (int i = 0; i < 12; i++) {
        inFlight.add(s.runtime.submit("pooled", () -> {
          Thread.sleep(60_000);
          return "late";
        }, (kind, cause) -> "fallback:" + kind.text()));
      }
      // 4 semaphore-isolated calls, each on its own caller thread, blocked in a gRPC call.
      ManagedChannel direct = io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1",
          s.runner.port(), io.grpc.InsecureChannelCredentials.create()).build();
      ExampleServiceGrpc.ExampleServiceBlockingStub stub =
          ExampleServiceGrpc.newBlockingStub(direct);
      s.runtime.configure("on-caller", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
          .timeoutMillis(60_000).build());
      for (int i = 0; i < 4; i++) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
          try {
            f.complete(s.runtime.execute("on-caller", () -> stub.endpoint(REQUEST).getMsg(),
                (kind, cause) -> "fallback:" + kind.text()));
          } catch (RuntimeException e) {
            f.complete("error:" + e.getClass().getSimpleName());
          }
        }, "caller-" + i);
        caller.setDaemon(true);
        caller.start();
        inFlight.add(f);
      }
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
          s.runtime.snapshot(ExampleClient.COMMAND).currentConcurrency() == 30
              && s.runtime.snapshot("on-caller").currentConcurrency() == 4
              && s.server.callsReceived() >= 1 + 30 + 4);
      assertThat(inFlight).noneMatch(CompletableFuture::isDone);

      long t0 = System.nanoTime();
      s.runtime.close();
      closeMillis = (System.nanoTime() - t0) / 1_000_000;
      CompletableFuture.allOf(inFlight.toArray(new CompletableFuture<?>[0]))
          .handle((v, e) -> null).get(5, TimeUnit.SECONDS);
      answeredWithin = (System.nanoTime() - t0) / 1_000_000;
      outcomes = tally(inFlight);
      direct.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    int after = ThreadCensus.awaitAtMost(before, Duration.ofSeconds(10));
    List<String> ours = ThreadCensus.names(t -> t.getName().startsWith("breakwater-"));
    System.out.printf("[figures] scenario 6: runtime closed in %d ms with 46 calls in flight;"
            + " all answered within %d ms: %s; threads before %d, after %d;"
            + " breakwater threads left %s%n", closeMillis, answeredWithin, outcomes, before,
        after, ours);
    assertThat(outcomes.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(46);
    assertThat(outcomes).doesNotContainKey("late");
    assertThat(answeredWithin).isLessThan(5000);
    assertThat(ours).isEmpty();
    assertThat(after).isBetween(before - 2, before + 2);
  }

  @Test
  void closingTheServiceRunnerLetsCallsFinishOrFailThemAndDeregisters() throws Exception {
    int before = ThreadCensus.awaitAtMost(0, Duration.ofSeconds(2));
    Map<String, Long> finishing;
    Map<String, Long> hanging;
    String instanceId;
    boolean deregisterSeen;
    List<?> listedAfter;
    long closeMillis;
    try (ServiceStack s = new ServiceStack(Ticker.system(), false, Duration.ofMillis(500))) {
      s.client.call("ready");
      instanceId = s.runner.instance().id();
      s.server.latency(Duration.ofMillis(200));
      List<CompletableFuture<String>> slow = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        slow.add(s.client.callAsync("slow-" + i).thenApply(Response::getMsg));
      }
      Awaitility.await().atMost(Duration.ofSeconds(2)).until(() ->
          s.server.callsReceived() >= 11);
      s.server.hang(true);
      List<CompletableFuture<String>> stuck = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        stuck.add(s.client.callAsync("stuck-" + i).thenApply(Response::getMsg));
      }
      Awaitility.await().atMost(Duration.ofSeconds(2)).until(() ->
          s.server.callsReceived() >= 21);

      long t0 = System.nanoTime();
      s.runner.close();
      closeMillis = (System.nanoTime() - t0) / 1_000_000;
      CompletableFuture.allOf(slow.toArray(new CompletableFuture<?>[0]))
          .handle((v, e) -> null).get(5, TimeUnit.SECONDS);
      CompletableFuture.allOf(stuck.toArray(new CompletableFuture<?>[0]))
          .handle((v, e) -> null).get(5, TimeUnit.SECONDS);
      finishing = tally(slow);
      hanging = tally(stuck);
      deregisterSeen = s.dev.requests().stream().anyMatch(r -> r.method().equals("PUT")
          && r.path().equals("/v1/agent/service/deregister/" + instanceId));
      listedAfter = s.clientRegistry.instances(ExampleClient.SERVICE);
    }
    int after = ThreadCensus.awaitAtMost(before, Duration.ofSeconds(10));
    List<String> ours = ThreadCensus.names(t -> t.getName().startsWith("breakwater-"));
    System.out.printf("[figures] scenario 6: service runner closed in %d ms (grace 500 ms);"
            + " calls finishing within the grace: %s; calls hanging past it: %s;"
            + " deregistered %s, listed after %s; threads before %d, after %d%n", closeMillis,
        finishing, hanging, deregisterSeen, listedAfter, before, after);
    assertThat(finishing).containsOnlyKeys("server");
    assertThat(finishing.get("server")).isEqualTo(10);
    assertThat(hanging.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(10);
    assertThat(hanging).doesNotContainKey("server");
    assertThat(deregisterSeen).isTrue();
    assertThat(listedAfter).isEmpty();
    assertThat(ours).isEmpty();
    assertThat(after).isBetween(before - 2, before + 2);
  }

  @Test
  void aProgramThatClosesEverythingEndsWithoutSystemExit() throws Exception {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    File log = File.createTempFile("shutdown-program", ".log");
    log.deleteOnExit();
    Process p = new ProcessBuilder(javaBin.toString(), "-cp", classpath,
        ShutdownProgram.class.getName())
        .redirectErrorStream(true).redirectOutput(log).start();
    boolean ended = p.waitFor(60, TimeUnit.SECONDS);
    String output = java.nio.file.Files.readString(log.toPath(), StandardCharsets.UTF_8);
    if (!ended) {
      p.destroyForcibly();
    }
    String summary = output.lines().filter(l -> l.startsWith("[figures]"))
        .reduce((a, b) -> a + "\n" + b).orElse("(no summary)");
    System.out.println(summary);
    assertThat(ended).as("the program ended on its own; output:%n%s", output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("[figures] shutdown program: 40 of 40 calls in flight answered")
        .contains("threads left: []");
    // The last thing the program does is print its summary and return from main.
    assertThat(output.strip().lines().reduce((a, b) -> b).orElse(""))
        .startsWith("[figures] shutdown program:");
  }

  /** What each call was answered with: server, fallback:KIND, error:CODE, or as is. */
  static Map<String, Long> tally(List<CompletableFuture<String>> calls) {
    Map<String, Long> t = new TreeMap<>();
    for (CompletableFuture<String> f : calls) {
      String label;
      try {
        String msg = f.getNow(null);
        int fallback = msg == null ? -1 : msg.indexOf("(fallback: ");
        if (msg == null) {
          label = "unanswered";
        } else if (fallback >= 0) {
          label = "fallback:" + msg.substring(fallback + 11, msg.length() - 1);
        } else if (msg.startsWith("Hello")) {
          label = "server";
        } else {
          label = msg;
        }
      } catch (java.util.concurrent.CompletionException e) {
        Throwable cause = e.getCause();
        label = cause instanceof StatusRuntimeException
            ? "error:" + ((StatusRuntimeException) cause).getStatus().getCode()
            : "error:" + cause.getClass().getSimpleName();
      }
      t.merge(label, 1L, Long::sum);
    }
    return t;
  }
}
