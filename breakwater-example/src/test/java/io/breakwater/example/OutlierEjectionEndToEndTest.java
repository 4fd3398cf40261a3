package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.circuit.CircuitState;
import io.breakwater.circuit.CircuitTransition;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.event.CommandListener;
import io.breakwater.event.EventType;
import io.breakwater.grpc.BalancerListener;
import io.breakwater.grpc.BalancingPolicy;
import io.breakwater.grpc.Ejection;
import io.breakwater.grpc.InstanceBalancerProvider;
import io.breakwater.grpc.ServiceRunner;
import io.grpc.LoadBalancerRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three instances of example.service, one failing every call: the balancer ejects it, the
 * circuit never sees enough failures to open, and the instance rejoins once healed and its
 * ejection is over (on a fake clock, so the 30 s pass at once).
 */
class OutlierEjectionEndToEndTest {

  private final AtomicLong now = new AtomicLong();
  private final List<String> ejections = new CopyOnWriteArrayList<>();
  private final List<CircuitTransition> transitions = new CopyOnWriteArrayList<>();
  private final List<ExampleServer> servers = new ArrayList<>();
  private final List<ServiceRunner> runners = new ArrayList<>();
  private InstanceBalancerProvider provider;
  private EmbeddedRegistry registry;
  private BreakwaterRuntime runtime;
  private ExampleClient client;

  @BeforeEach
  void start() {
    registry = EmbeddedRegistry.create();
    runtime = BreakwaterRuntime.create();
    for (int i = 0; i < 3; i++) {
      ExampleServer server = new ExampleServer();
      servers.add(server);
      runners.add(ServiceRunner.builder(ExampleClient.SERVICE).registry(registry)
          .addService(server).shutdownTimeout(Duration.ofSeconds(1)).start());
    }
    provider = InstanceBalancerProvider.builder(BalancingPolicy.POWER_OF_TWO_CHOICES)
        .policyName("example_p2c_on_a_fake_clock")
        .ticker(now::get)
        .listener(new BalancerListener() {
          @Override
          public void onEjected(Ejection e) {
            ejections.add("ejected " + serverAt(e.address()) + " for "
                + e.duration().toSeconds() + " s");
          }

          @Override
          public void onReturned(SocketAddress address) {
            ejections.add("returned " + serverAt(address));
          }
        })
        .build();
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    client = ExampleClient.builder(registry, runtime).balancingPolicy(provider.getPolicyName())
        .build();
    runtime.addListener(new CommandListener() {
      @Override
      public void onCircuitTransition(CircuitTransition t) {
        transitions.add(t);
      }
    });
  }

  @AfterEach
  void stop() {
    client.close();
    runners.forEach(ServiceRunner::close);
    LoadBalancerRegistry.getDefaultRegistry().deregister(provider);
    runtime.close();
    registry.close();
  }

  private int serverAt(SocketAddress address) {
    int port = ((InetSocketAddress) address).getPort();
    for (int i = 0; i < runners.size(); i++) {
      if (runners.get(i).port() == port) {
        return i;
      }
    }
    return -1;
  }

  private int helloWorlds(int calls) {
    int ok = 0;
    for (int i = 0; i < calls; i++) {
      if (client.call("World").getMsg().equals("Hello World")) {
        ok++;
      }
    }
    return ok;
  }

  @Test
  void oneFailingInstanceOfThreeIsEjectedTheCircuitStaysClosedAndItRejoinsWhenHealed() {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      client.call("World");
      return servers.stream().allMatch(s -> s.callsReceived() > 0);
    });
    // Steady traffic before the fault, as in production: the circuit judges the failures
    // against the last 5 s of calls, and with none at all 5 failures would be 25 % of 20.
    assertThat(helloWorlds(200)).isEqualTo(200);
    ExampleServer bad = servers.get(0);
    bad.failEveryCall(true);
    long badBefore = bad.callsReceived();

    int ok = helloWorlds(1000);

    assertThat(ok).isGreaterThanOrEqualTo(990);
    assertThat(ok).isEqualTo(995); // exactly the five failures that ejected it
    assertThat(bad.callsReceived() - badBefore).isEqualTo(5);
    assertThat(runtime.circuitState(ExampleClient.COMMAND)).isEqualTo(CircuitState.CLOSED);
    assertThat(transitions).isEmpty();
    assertThat(runtime.snapshot(ExampleClient.COMMAND).cumulativeCount(EventType.FAILURE))
        .isEqualTo(5);
    await().atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(ejections).containsExactly("ejected 0 for 30 s"));

    bad.heal();
    now.addAndGet(Duration.ofSeconds(30).toNanos());

    assertThat(helloWorlds(300)).isEqualTo(300);
    assertThat(bad.callsReceived() - badBefore).isGreaterThan(5 + 30);
    await().atMost(Duration.ofSeconds(2)).untilAsserted(
        () -> assertThat(ejections).containsExactly("ejected 0 for 30 s", "returned 0"));
  }
}
