package io.breakwater.example;

import java.util.Set;

/**
 * The demo's command line: {@code [demo] [--rate N] [--duration SECONDS] [--instances N]
 * [--serve [--port N]]}.
 *
 * @param rate calls per second in the fault scenario
 * @param durationSeconds length of the fault scenario
 * @param help whether only the usage was asked for
 * @param serve whether to serve the dashboard and keep running after the scenario
 * @param port the dashboard's port, 0 for any free one
 * @param instances how many instances of example.service run; the faults hit the first
 */
record DemoOptions(
    int rate, int durationSeconds, boolean help, boolean serve, int port, int instances) {

  static final int DEFAULT_RATE = 20;
  static final int DEFAULT_DURATION_SECONDS = 30;
  static final int DEFAULT_PORT = 7979;
  static final int MAX_RATE = 500;
  static final int MIN_DURATION_SECONDS = 4;
  static final int MAX_DURATION_SECONDS = 3600;
  static final int MAX_INSTANCES = 9;

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar [demo] [--rate N] [--duration SECONDS]"
          + " [--instances N]",
      "           [--serve [--port N]]",
      "",
      "  demo                 start a registry, example.service and a client in this process,",
      "                       call Endpoint(\"World\"), then run the fault scenario (the default)",
      "  --rate N             calls per second in the fault scenario, 1 to " + MAX_RATE
          + " (default " + DEFAULT_RATE + ")",
      "  --duration SECONDS   length of the fault scenario, " + MIN_DURATION_SECONDS + " to "
          + MAX_DURATION_SECONDS + " (default " + DEFAULT_DURATION_SECONDS + "); 's' may follow",
      "  --instances N        run N instances of example.service, 1 to " + MAX_INSTANCES
          + " (default 1); the",
      "                       faults hit the first, the balancer ejects it, the others answer",
      "  --serve              serve the dashboard, /hystrix.stream and Prometheus /metrics on",
      "                       127.0.0.1 from the start, and keep running (healthy traffic) after",
      "                       the scenario until Ctrl-C",
      "  --port N             the dashboard's port with --serve, 0 for any free one (default "
          + DEFAULT_PORT + ")",
      "  -h, --help           show this help",
      "",
      "Other commands: registry, server, client (each with --help).");

  /** The demo's options; {@code args} may start with the word {@code demo}. */
  static DemoOptions parse(String... args) throws UsageException {
    int from = 0;
    if (args.length > 0 && !args[0].startsWith("-")) {
      if (!args[0].equals("demo")) {
        throw new UsageException("unknown command '" + args[0] + "'");
      }
      from = 1;
    }
    Arguments a = Arguments.parse(args, from,
        Set.of("--rate", "--duration", "--port", "--instances"), Set.of("--serve"));
    int rate = a.number("--rate", DEFAULT_RATE, 1, MAX_RATE);
    String duration = a.text("--duration");
    int seconds = DEFAULT_DURATION_SECONDS;
    if (duration != null) {
      String number = duration.endsWith("s")
          ? duration.substring(0, duration.length() - 1) : duration;
      seconds = Arguments.number("--duration", number, MIN_DURATION_SECONDS,
          MAX_DURATION_SECONDS);
    }
    boolean serve = a.flag("--serve");
    if (a.text("--port") != null && !serve) {
      throw new UsageException("--port is the dashboard's port: it needs --serve");
    }
    int port = a.number("--port", DEFAULT_PORT, 0, 65_535);
    int instances = a.number("--instances", 1, 1, MAX_INSTANCES);
    return new DemoOptions(rate, seconds, a.help(), serve, port, instances);
  }
}
