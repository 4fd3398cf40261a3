package io.breakwater.example;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One command of the tool run in this JVM on its own thread, as a terminal would run it. */
final class RunningCommand implements AutoCloseable {

  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();

  private RunningCommand(Map<String, String> environment, String... args) {
    Terminal terminal = new Terminal(
        new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8),
        environment::get, stop);
    Thread thread = new Thread(() -> {
      try {
        exit.complete(Main.run(args, terminal));
      } catch (Throwable t) {
        exit.completeExceptionally(t);
      }
    }, "test-command-" + args[0]);
    thread.setDaemon(true);
    thread.start();
  }

  static RunningCommand start(Map<String, String> environment, String... args) {
    return new RunningCommand(environment, args);
  }

  String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  /** The first group of {@code regex} in the output, once it appears. */
  String awaitOutput(String regex, Duration atMost) {
    Pattern pattern = Pattern.compile(regex);
    String[] found = new String[1];
    await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
      Matcher m = pattern.matcher(out());
      if (m.find()) {
        found[0] = m.groupCount() > 0 ? m.group(1) : m.group();
        return true;
      }
      return exit.isDone();
    });
    if (found[0] == null) {
      throw new AssertionError("the command ended (" + exit.join() + ") without printing "
          + regex + "; out:\n" + out() + "\nerr:\n" + err());
    }
    return found[0];
  }

  /** Signals the command to stop, as Ctrl-C does, and answers its exit code. */
  int stop(Duration atMost) throws Exception {
    stop.countDown();
    return exit.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
  }

  int awaitExit(Duration atMost) throws Exception {
    return exit.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws ExecutionException, TimeoutException {
    stop.countDown();
    try {
      exit.handle((code, error) -> code).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the command", e);
    }
  }
}
