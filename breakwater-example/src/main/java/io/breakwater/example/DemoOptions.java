package io.breakwater.example;

/**
 * The demo's command line: {@code [demo] [--rate CALLS_PER_SECOND] [--duration SECONDS]}.
 *
 * @param rate calls per second in the fault scenario
 * @param durationSeconds length of the fault scenario
 * @param help whether only the usage was asked for
 */
record DemoOptions(int rate, int durationSeconds, boolean help) {

  static final int DEFAULT_RATE = 20;
  static final int DEFAULT_DURATION_SECONDS = 30;
  static final int MAX_RATE = 500;
  static final int MIN_DURATION_SECONDS = 4;
  static final int MAX_DURATION_SECONDS = 3600;

  static final String USAGE = String.join("\n",
      "usage: java -jar breakwater-example.jar [demo] [--rate N] [--duration SECONDS]",
      "",
      "  demo                 start a registry, example.service and a client in this process,",
      "                       call Endpoint(\"World\"), then run the fault scenario (the default)",
      "  --rate N             calls per second in the fault scenario, 1 to " + MAX_RATE
          + " (default " + DEFAULT_RATE + ")",
      "  --duration SECONDS   length of the fault scenario, " + MIN_DURATION_SECONDS + " to "
          + MAX_DURATION_SECONDS + " (default " + DEFAULT_DURATION_SECONDS + "); 's' may follow",
      "  -h, --help           show this help");

  /** Thrown for a command line the demo cannot run; the message names the bad argument. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static DemoOptions parse(String... args) throws UsageException {
    int rate = DEFAULT_RATE;
    int duration = DEFAULT_DURATION_SECONDS;
    int i = 0;
    if (args.length > 0 && !args[0].startsWith("-")) {
      if (!args[0].equals("demo")) {
        throw new UsageException("unknown command '" + args[0] + "'");
      }
      i++;
    }
    for (; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "-h":
        case "--help":
          return new DemoOptions(rate, duration, true);
        case "--rate":
        case "--duration":
          if (value == null) {
            if (i + 1 >= args.length) {
              throw new UsageException(name + " needs a value");
            }
            value = args[++i];
          }
          if (name.equals("--rate")) {
            rate = number(name, value, 1, MAX_RATE);
          } else {
            String seconds = value.endsWith("s") ? value.substring(0, value.length() - 1) : value;
            duration = number(name, seconds, MIN_DURATION_SECONDS, MAX_DURATION_SECONDS);
          }
          break;
        default:
          throw new UsageException("unknown argument '" + arg + "'");
      }
    }
    return new DemoOptions(rate, duration, false);
  }

  private static int number(String name, String value, int min, int max)
      throws UsageException {
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(name + " must be a whole number, was '" + value + "'");
    }
    if (n < min || n > max) {
      throw new UsageException(name + " must be between " + min + " and " + max + ", was " + n);
    }
    return n;
  }
}
