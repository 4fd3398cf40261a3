package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.discovery.ConsulRegistry;
import io.breakwater.discovery.DevRegistryServer;
import io.breakwater.event.EventType;
import io.breakwater.grpc.ServiceRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry goes away for a minute: calls keep succeeding against the instances the client
 * already knows. This test takes a real 60 s on purpose: what could break is any time-driven
 * expiry hidden in the registry client, the resolver, the balancer or the channel (go-micro's
 * selector, for one, drops its cache after a minute), and a fake clock can only move the
 * clocks we know about.
 */
class RegistryOutageTest {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // the minute of outage, and start and stop
  void withTheRegistryStoppedForSixtySecondsEveryCallStillSucceeds() throws Exception {
    List<ExampleServer> servers = new ArrayList<>();
    List<ServiceRunner> runners = new ArrayList<>();
    DevRegistryServer dev = DevRegistryServer.builder().start();
    try (ConsulRegistry serverSide = ConsulRegistry.builder().address(dev.uri().toString())
            .build();
        ConsulRegistry clientSide = ConsulRegistry.builder().address(dev.uri().toString())
            .build();
        BreakwaterRuntime runtime = BreakwaterRuntime.create()) {
      for (int i = 0; i < 3; i++) {
        ExampleServer server = new ExampleServer();
        servers.add(server);
        runners.add(ServiceRunner.builder(ExampleClient.SERVICE).registry(serverSide)
            .addService(server).shutdownTimeout(Duration.ofSeconds(1)).start());
      }
      try (ExampleClient client = new ExampleClient(clientSide, runtime)) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
          client.call("World");
          return servers.stream().allMatch(s -> s.callsReceived() > 0);
        });
        long[] before = servers.stream().mapToLong(ExampleServer::callsReceived).toArray();

        dev.close();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int calls = 0;
        while (System.nanoTime() - end < 0) {
          assertThat(client.call("World").getMsg()).as("call " + calls).isEqualTo("Hello World");
          calls++;
          Thread.sleep(50);
        }

        assertThat(calls).isGreaterThan(600);
        for (int i = 0; i < 3; i++) {
          assertThat(servers.get(i).callsReceived() - before[i]).as("server " + i)
              .isGreaterThan(calls / 10);
        }
        assertThat(runtime.snapshot(ExampleClient.COMMAND)
            .cumulativeCount(EventType.FALLBACK_SUCCESS)).isZero();
      } finally {
        runners.forEach(ServiceRunner::close);
      }
    } finally {
      dev.close();
    }
  }
}
