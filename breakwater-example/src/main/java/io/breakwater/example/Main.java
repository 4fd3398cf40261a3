package io.breakwater.example;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Entry point of the example jar: {@code demo} (the default), {@code registry}, {@code server}
 * and {@code client}. Exit codes: 0 done, 1 the command failed, 2 bad usage (the usage goes to
 * stderr).
 */
public final class Main {

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar [COMMAND] [OPTIONS]",
      "",
      "  demo       everything in one process, then a fault scenario (the default)",
      "  registry   a dev registry speaking Consul's HTTP API on 127.0.0.1:8500",
      "  server     example.service, registered in the registry",
      "  client     finds example.service, calls Endpoint(\"World\"), prints the response",
      "",
      "COMMAND --help shows each command's options.");

  private Main() {}

  public static void main(String[] args) {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    // Ctrl-C ends a long-running command through its latch; the hook then waits for the
    // command's own cleanup (deregistration above all) before the JVM goes.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        done.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "breakwater-example-shutdown"));
    int code;
    try {
      code = run(args, new Terminal(System.out, System.err, System::getenv, stop));
    } finally {
      done.countDown();
    }
    System.exit(code);
  }

  /**
   * Runs the command line with the process's environment. Nothing ever stops a long-running
   * command ({@code registry}, {@code server}, {@code demo --serve}) started this way; in
   * process, use the {@link Terminal} form with a latch.
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, new Terminal(out, err, System::getenv, new CountDownLatch(1)));
  }

  static int run(String[] args, Terminal terminal) {
    String command = args.length > 0 && !args[0].startsWith("-") ? args[0] : "demo";
    String usage = usageOf(command);
    try {
      switch (command) {
        case "registry":
          return RegistryCommand.run(args, terminal);
        case "server":
          return ServerCommand.run(args, terminal);
        case "client":
          return ClientCommand.run(args, terminal);
        case "demo":
          return demo(args, terminal);
        default:
          throw new UsageException("unknown command '" + command + "'");
      }
    } catch (UsageException e) {
      terminal.err().println("error: " + e.getMessage());
      terminal.err().println(usage);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("error: " + command + " was interrupted");
      return 1;
    } catch (RuntimeException e) {
      terminal.err().println("error: " + command + " failed: " + e);
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        terminal.err().println("  caused by: " + cause);
      }
      return 1;
    }
  }

  private static int demo(String[] args, Terminal terminal)
      throws UsageException, InterruptedException {
    DemoOptions options = DemoOptions.parse(args);
    if (options.help()) {
      terminal.out().println(DemoOptions.USAGE);
      return 0;
    }
    new Demo(options, terminal.out(), terminal.stop()).run();
    return 0;
  }

  private static String usageOf(String command) {
    switch (command) {
      case "registry":
        return RegistryCommand.USAGE;
      case "server":
        return ServerCommand.USAGE;
      case "client":
        return ClientCommand.USAGE;
      case "demo":
        return DemoOptions.USAGE;
      default:
        return USAGE;
    }
  }
}
