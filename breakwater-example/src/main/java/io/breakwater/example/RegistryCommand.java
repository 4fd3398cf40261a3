package io.breakwater.example;

import io.breakwater.discovery.DevRegistryServer;
import java.util.Set;

/** {@code registry}: a dev registry speaking Consul's HTTP API on 127.0.0.1 until Ctrl-C. */
final class RegistryCommand {

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar registry [--port N]",
      "",
      "Runs a dev registry on 127.0.0.1 that speaks the subset of Consul's HTTP API that",
      "`server` and `client` use, so they can find each other with no Consul installed.",
      "",
      "  --port N             the port, 0 for any free one (default "
          + DevRegistryServer.DEFAULT_CLI_PORT + ")",
      "  -h, --help           show this help");

  private RegistryCommand() {}

  static int run(String[] args, Terminal terminal) throws UsageException, InterruptedException {
    Arguments a = Arguments.parse(args, 1, Set.of("--port"), Set.of());
    if (a.help()) {
      terminal.out().println(USAGE);
      return 0;
    }
    int port = a.number("--port", DevRegistryServer.DEFAULT_CLI_PORT, 0, 65_535);
    try (DevRegistryServer registry = DevRegistryServer.builder().port(port).start()) {
      String address = registry.uri().getHost() + ":" + registry.port();
      terminal.out().println("Dev registry listening on " + registry.uri()
          + " (a subset of Consul's HTTP API)");
      terminal.out().println("Servers and clients find it with --consul " + registry.uri()
          + " or CONSUL_HTTP_ADDR=" + address + "; Ctrl-C stops it");
      terminal.out().flush();
      terminal.stop().await();
    }
    terminal.out().println("Dev registry stopped");
    return 0;
  }
}
