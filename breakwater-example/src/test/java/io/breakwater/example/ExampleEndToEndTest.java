package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.circuit.CircuitState;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.event.EventType;
import io.breakwater.grpc.ServiceRunner;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** example.service and its client, wired as the demo wires them, on loopback. */
class ExampleEndToEndTest {

  private final ExampleServer server = new ExampleServer();
  private EmbeddedRegistry registry;
  private BreakwaterRuntime runtime;
  private ServiceRunner runner;
  private ExampleClient client;

  @BeforeEach
  void start() {
    registry = EmbeddedRegistry.create();
    runtime = BreakwaterRuntime.create();
    runner = ServiceRunner.builder(ExampleClient.SERVICE).registry(registry).addService(server)
        .shutdownTimeout(Duration.ofSeconds(1)).start();
    client = new ExampleClient(registry, runtime);
  }

  @AfterEach
  void stop() {
    client.close();
    runner.close();
    runtime.close();
    registry.close();
  }

  @Test
  void serverFoundThroughTheRegistryAnswersHelloWorldThroughTheCommand() {
    assertThat(runner.instance().address()).isEqualTo("127.0.0.1");

    assertThat(client.call("World").getMsg()).isEqualTo("Hello World");

    assertThat(server.callsReceived()).isEqualTo(1);
    assertThat(runtime.snapshot(ExampleClient.COMMAND).cumulativeCount(EventType.SUCCESS))
        .isEqualTo(1);
    assertThat(runtime.config(ExampleClient.COMMAND).timeoutMillis()).isEqualTo(1000);
    assertThat(runtime.config(ExampleClient.COMMAND).maxConcurrentRequests()).isEqualTo(100);
    assertThat(runtime.config(ExampleClient.COMMAND).errorThresholdPercentage()).isEqualTo(25);
  }

  @Test
  void failingServerOpensTheCircuitAndTheFallbackAnswersWithoutTheServerSeeingCalls() {
    assertThat(client.call("World").getMsg()).isEqualTo("Hello World");
    server.failEveryCall(true);

    int calls = 0;
    while (runtime.circuitState(ExampleClient.COMMAND) != CircuitState.OPEN && calls < 50) {
      assertThat(client.call("World").getMsg()).isEqualTo("Hello World (fallback: failed)");
      calls++;
    }
    assertThat(runtime.circuitState(ExampleClient.COMMAND)).isEqualTo(CircuitState.OPEN);
    assertThat(calls).isGreaterThanOrEqualTo(ExampleClient.REQUEST_VOLUME_THRESHOLD - 1);
    long seenByServer = server.callsReceived();

    for (int i = 0; i < 30; i++) {
      assertThat(client.call("World").getMsg())
          .isEqualTo("Hello World (fallback: short-circuited)");
    }
    assertThat(server.callsReceived()).isEqualTo(seenByServer);

    server.heal();
    await().atMost(Duration.ofSeconds(ExampleClient.SLEEP_WINDOW_MILLIS / 1000 + 3))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> client.call("World").getMsg().equals("Hello World"));
    assertThat(runtime.circuitState(ExampleClient.COMMAND)).isEqualTo(CircuitState.CLOSED);
    assertThat(server.callsReceived()).isEqualTo(seenByServer + 1);
  }

  @Test
  void hangingServerIsAnsweredByTheFallbackAfterTheTimeoutAndSeesTheCancel() {
    assertThat(client.call("World").getMsg()).isEqualTo("Hello World");
    server.hang(true);

    long start = System.nanoTime();
    String answer = client.call("World").getMsg();
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(answer).isEqualTo("Hello World (fallback: timed-out)");
    assertThat(tookMillis).isBetween(900L, 1800L);
    await().atMost(Duration.ofSeconds(5)).until(() -> server.callsCancelled() == 1);
  }

  @Test
  void errorRateAndLatencySwitchesShapeTheServersAnswers() {
    server.errorRate(1.0);
    assertThat(client.call("World").getMsg()).isEqualTo("Hello World (fallback: failed)");

    server.errorRate(0.0).latency(Duration.ofMillis(200));
    long start = System.nanoTime();
    assertThat(client.call("World").getMsg()).isEqualTo("Hello World");
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(200);

    assertThatThrownBy(() -> server.errorRate(1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("errorRate");
    assertThatThrownBy(() -> server.latency(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latency");
  }
}
