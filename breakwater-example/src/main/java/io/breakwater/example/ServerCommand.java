package io.breakwater.example;

import io.breakwater.discovery.ConsulRegistry;
import io.breakwater.grpc.ServiceRunner;
import java.time.Duration;
import java.util.Set;

/**
 * {@code server}: example.service on 127.0.0.1, registered in a Consul-API registry until Ctrl-C,
 * deregistered on the way out.
 */
final class ServerCommand {

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar server [--consul URL] [--port N]",
      "",
      "Starts " + ExampleClient.SERVICE + " on 127.0.0.1 and registers it in the registry; runs",
      "until Ctrl-C, then deregisters it and stops.",
      "",
      Consul.USAGE_LINE,
      "  --port N             the gRPC port, 0 for any free one (default 0)",
      "  -h, --help           show this help");

  private ServerCommand() {}

  static int run(String[] args, Terminal terminal) throws UsageException, InterruptedException {
    Arguments a = Arguments.parse(args, 1, Set.of("--consul", "--port"), Set.of());
    if (a.help()) {
      terminal.out().println(USAGE);
      return 0;
    }
    int port = a.number("--port", 0, 0, 65_535);
    String id;
    try (ConsulRegistry registry = Consul.connect(a.text("--consul"), terminal);
        ServiceRunner runner = ServiceRunner.builder(ExampleClient.SERVICE)
            .registry(registry)
            .addService(new ExampleServer())
            .port(port)
            .shutdownTimeout(Duration.ofSeconds(2))
            .start()) {
      id = runner.instance().id();
      terminal.out().println(ExampleClient.SERVICE + " serving on " + runner.instance().authority()
          + " as " + id + ", registered in " + registry.address());
      terminal.out().println("Ctrl-C deregisters it and stops");
      terminal.out().flush();
      terminal.stop().await();
      terminal.out().println("Stopping: deregistering " + id);
    }
    terminal.out().println(ExampleClient.SERVICE + " stopped");
    return 0;
  }
}
