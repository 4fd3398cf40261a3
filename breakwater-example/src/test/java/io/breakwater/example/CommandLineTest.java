package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.discovery.ConsulRegistry;
import io.breakwater.discovery.ServiceInstance;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The registry, server and client commands in this JVM, talking over 127.0.0.1. */
class CommandLineTest {

  private static final Duration STARTUP = Duration.ofSeconds(15);

  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  private int run(Map<String, String> environment, String... args) {
    Terminal terminal = new Terminal(new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), environment::get,
        new CountDownLatch(1));
    return Main.run(args, terminal);
  }

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void registryServerAndClientTellTheUsageStoryAndTheServerDeregistersOnStop() throws Exception {
    try (RunningCommand registry = RunningCommand.start(Map.of(), "registry", "--port", "0")) {
      String uri = registry.awaitOutput("Dev registry listening on (http://127\\.0\\.0\\.1:\\d+)",
          STARTUP);
      String port = uri.substring(uri.lastIndexOf(':') + 1);
      try (RunningCommand server = RunningCommand.start(Map.of(), "server", "--consul", uri)) {
        String id = server.awaitOutput("as (example\\.service-\\d+-\\w+), registered in " + uri,
            STARTUP);

        // The client finds the registry through CONSUL_HTTP_ADDR.
        int code = run(Map.of("CONSUL_HTTP_ADDR", "127.0.0.1:" + port), "client");

        assertThat(code).as(err()).isZero();
        assertThat(out()).isEqualTo("Response: Hello World" + System.lineSeparator());
        assertThat(server.stop(Duration.ofSeconds(10))).isZero();
        assertThat(server.out()).contains("Stopping: deregistering " + id)
            .contains("example.service stopped");
        try (ConsulRegistry consul = ConsulRegistry.builder().address(uri).build()) {
          assertThat(consul.instances(ExampleClient.SERVICE)).isEmpty();
        }
      }
      assertThat(registry.stop(Duration.ofSeconds(10))).isZero();
      assertThat(registry.out()).contains("Dev registry stopped");
    }
  }

  @Test
  void theClientNamesTheRegistryWhenTheServiceIsNotThere() throws Exception {
    try (RunningCommand registry = RunningCommand.start(Map.of(), "registry", "--port", "0")) {
      String uri = registry.awaitOutput("Dev registry listening on (http://127\\.0\\.0\\.1:\\d+)",
          STARTUP);

      long start = System.nanoTime();
      int code = run(Map.of(), "client", "--consul", uri, "--wait", "1", "--name", "Nobody");

      assertThat(code).isEqualTo(1);
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(900L, 5000L);
      assertThat(err()).contains("error: no healthy instance of example.service in the "
          + "registry at " + uri + " after 1 s");
      assertThat(out()).isEmpty();
    }
  }

  @Test
  void whenNoRegisteredInstanceAnswersTheClientSaysTheFallbackAnsweredAndExitsOne()
      throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort(); // closed below: connecting to it is refused
    }
    try (RunningCommand registry = RunningCommand.start(Map.of(), "registry", "--port", "0")) {
      String uri = registry.awaitOutput("Dev registry listening on (http://127\\.0\\.0\\.1:\\d+)",
          STARTUP);
      try (ConsulRegistry consul = ConsulRegistry.builder().address(uri).build()) {
        consul.register(ServiceInstance.of("dead-1", ExampleClient.SERVICE, "127.0.0.1",
            deadPort));

        int code = run(Map.of(), "client", "--consul", uri, "--wait", "1");

        assertThat(code).isEqualTo(1);
        assertThat(out()).isEqualTo("Fallback answered: Hello World (fallback: failed)"
            + System.lineSeparator());
        assertThat(out()).doesNotContain("Response:");
        assertThat(err()).contains("1 instance(s) of example.service registered, but none "
            + "answered; the fallback did");
      }
    }
  }

  @Test
  void badArgumentsOfEveryCommandGiveItsUsageOnStderrAndExitTwo() {
    assertThat(run(Map.of(), "registry", "--port", "70000")).isEqualTo(2);
    assertThat(err()).contains("error: --port must be between 0 and 65535, was 70000")
        .contains("usage: java -jar breakwater-example.jar registry");

    assertThat(run(Map.of(), "server", "--color")).isEqualTo(2);
    assertThat(err()).contains("error: unknown argument '--color'")
        .contains("usage: java -jar breakwater-example.jar server");

    assertThat(run(Map.of(), "client", "--consul", "unix:///tmp/consul.sock")).isEqualTo(2);
    assertThat(err()).contains("error: --consul: ")
        .contains("usage: java -jar breakwater-example.jar client");

    assertThat(run(Map.of("CONSUL_HTTP_ADDR", "ftp://x"), "client")).isEqualTo(2);
    assertThat(err()).contains("error: CONSUL_HTTP_ADDR: ");

    assertThat(run(Map.of(), "client", "--wait")).isEqualTo(2);
    assertThat(err()).contains("error: --wait needs a value");

    assertThat(run(Map.of(), "demo", "--port", "8080")).isEqualTo(2);
    assertThat(err()).contains("error: --port is the dashboard's port: it needs --serve");
    assertThat(out()).isEmpty();
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"registry", "server", "client", "demo"}) {
      outBytes.reset();
      assertThat(run(Map.of(), command, "--help")).isZero();
      assertThat(out()).startsWith("usage: java -jar breakwater-example.jar "
          + (command.equals("demo") ? "[demo]" : command));
    }
    assertThat(out()).contains("--serve").contains("--port");
    assertThat(err()).isEmpty();
  }
}
