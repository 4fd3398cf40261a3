package io.breakwater.resilience;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.discovery.ConsulRegistry;
import io.breakwater.discovery.DevRegistryServer;
import io.breakwater.discovery.Ticker;
import io.breakwater.example.ExampleClient;
import io.breakwater.example.ExampleServer;
import io.breakwater.grpc.ServiceRunner;
import java.time.Duration;

/**
 * The example service as a deployment runs it, all on 127.0.0.1: a dev registry (Consul's HTTP
 * API), optionally behind a fault proxy; the example server started and registered by a service
 * runner through its own Consul client; and the example client finding it through another Consul
 * client and calling it through the command {@code my_command}.
 */
final class ServiceStack implements AutoCloseable {

  final ExampleServer server = new ExampleServer();
  final DevRegistryServer dev;
  final FaultProxy registryProxy;
  final ConsulRegistry serverRegistry;
  final ConsulRegistry clientRegistry;
  final ServiceRunner runner;
  final BreakwaterRuntime runtime;
  final ExampleClient client;

  /**
   * @param ticker the dev registry's clock (TTLs, reaper)
   * @param proxied whether both Consul clients reach the registry through a fault proxy
   * @param shutdownTimeout how long the runner lets calls in flight finish at close
   */
  ServiceStack(Ticker ticker, boolean proxied, Duration shutdownTimeout) {
    dev = DevRegistryServer.builder().ticker(ticker).start();
    registryProxy = proxied ? FaultProxy.start(dev.port(), 500, Duration.ofMinutes(5)) : null;
    String address = "http://127.0.0.1:" + (proxied ? registryProxy.port() : dev.port());
    serverRegistry = ConsulRegistry.builder().address(address).environment(name -> null)
        .heartbeatInterval(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(1)).build();
    clientRegistry = ConsulRegistry.builder().address(address).environment(name -> null)
        .blockingWait(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(1)).maxRetryBackoff(Duration.ofSeconds(4)).build();
    runner = ServiceRunner.builder(ExampleClient.SERVICE).registry(serverRegistry)
        .addService(server).shutdownTimeout(shutdownTimeout).start();
    runtime = BreakwaterRuntime.create();
    client = new ExampleClient(clientRegistry, runtime);
  }

  /** Closes in the order an application does: client side, then the runner, then registries. */
  @Override
  public void close() {
    client.close();
    runtime.close();
    runner.close();
    clientRegistry.close();
    serverRegistry.close();
    if (registryProxy != null) {
      registryProxy.close();
    }
    dev.close();
  }
}
