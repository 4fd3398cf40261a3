package io.breakwater.example;

import java.io.PrintStream;

/** Entry point of the example jar: runs the demo, or prints the usage. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command line and returns the exit code: 0 done, 1 the demo failed, 2 bad usage. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (DemoOptions.UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(DemoOptions.USAGE);
      return 2;
    }
    if (options.help()) {
      out.println(DemoOptions.USAGE);
      return 0;
    }
    try {
      new Demo(options, out).run();
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: the demo was interrupted");
      return 1;
    } catch (RuntimeException e) {
      err.println("error: the demo failed: " + e);
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        err.println("  caused by: " + cause);
      }
      return 1;
    }
  }
}
