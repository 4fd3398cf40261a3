package io.breakwater.example;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.discovery.ConsulRegistry;
import io.breakwater.discovery.ServiceInstance;
import io.breakwater.event.EventType;
import io.breakwater.example.proto.Response;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code client}: finds example.service in a Consul-API registry, calls {@code Endpoint} once
 * through the command {@value ExampleClient#COMMAND} and prints the response.
 */
final class ClientCommand {

  static final int DEFAULT_WAIT_SECONDS = 5;

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar client [--consul URL] [--name NAME]"
          + " [--wait SECONDS]",
      "",
      "Finds " + ExampleClient.SERVICE + " in the registry, calls Endpoint(NAME) through the",
      "command " + ExampleClient.COMMAND + " and prints the response.",
      "",
      Consul.USAGE_LINE,
      "  --name NAME          the name to greet (default World)",
      "  --wait SECONDS       how long to wait for an instance to be registered, 0 to 300",
      "                       (default " + DEFAULT_WAIT_SECONDS + ")",
      "  -h, --help           show this help",
      "",
      "Exit status: 0 answered by " + ExampleClient.SERVICE + ", 1 not found or answered by",
      "the fallback, 2 bad arguments.");

  private ClientCommand() {}

  static int run(String[] args, Terminal terminal) throws UsageException, InterruptedException {
    Arguments a = Arguments.parse(args, 1, Set.of("--consul", "--name", "--wait"), Set.of());
    if (a.help()) {
      terminal.out().println(USAGE);
      return 0;
    }
    String name = a.text("--name") == null ? "World" : a.text("--name");
    int waitSeconds = a.number("--wait", DEFAULT_WAIT_SECONDS, 0, 300);
    try (ConsulRegistry registry = Consul.connect(a.text("--consul"), terminal);
        BreakwaterRuntime runtime = BreakwaterRuntime.create()) {
      List<ServiceInstance> found = awaitInstances(registry, waitSeconds);
      if (found.isEmpty()) {
        terminal.err().println("error: no healthy instance of " + ExampleClient.SERVICE
            + " in the registry at " + registry.address() + " after " + waitSeconds
            + " s; is `registry` running there, and `server`?");
        return 1;
      }
      Response response;
      try (ExampleClient client = new ExampleClient(registry, runtime)) {
        if (!client.awaitReady(Duration.ofSeconds(Math.max(waitSeconds, 1)))) {
          terminal.err().println("warning: no instance of " + ExampleClient.SERVICE
              + " could be connected to; calling anyway");
        }
        response = client.call(name);
      }
      if (runtime.snapshot(ExampleClient.COMMAND).cumulativeCount(EventType.SUCCESS) == 0) {
        // Never "Response: ...": a script waiting for the service's answer must not see one.
        terminal.out().println("Fallback answered: " + response.getMsg());
        terminal.err().println("error: " + found.size() + " instance(s) of "
            + ExampleClient.SERVICE + " registered, but none answered; the fallback did");
        return 1;
      }
      terminal.out().println("Response: " + response.getMsg());
      return 0;
    }
  }

  private static List<ServiceInstance> awaitInstances(ConsulRegistry registry, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<ServiceInstance> found = registry.instances(ExampleClient.SERVICE);
    while (found.isEmpty() && System.nanoTime() - deadline < 0) {
      Thread.sleep(200);
      found = registry.instances(ExampleClient.SERVICE);
    }
    return found;
  }
}
