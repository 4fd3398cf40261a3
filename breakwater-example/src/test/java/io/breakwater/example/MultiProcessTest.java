package io.breakwater.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The usage story as a user runs it: {@code registry}, {@code server} and {@code client} as
 * three JVMs on 127.0.0.1, on the module's classes and its runtime classpath (written by the
 * build into {@code target/runtime-classpath.txt}).
 */
class MultiProcessTest {

  private static final Duration STARTUP = Duration.ofSeconds(20);

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killEverything() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static String classpath() throws IOException {
    Path target = Paths.get("target");
    String dependencies =
        Files.readString(target.resolve("runtime-classpath.txt"), StandardCharsets.UTF_8).trim();
    return target.resolve("classes").toAbsolutePath() + File.pathSeparator + dependencies;
  }

  /** A JVM running the tool with {@code args}; its stdout is collected line by line. */
  private Launched launch(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xshare:auto");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(classpath());
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectError(new File("target", "multi-process-" + args[0] + ".stderr.log"));
    pb.environment().remove("CONSUL_HTTP_ADDR");
    Process process = pb.start();
    processes.add(process);
    return new Launched(process);
  }

  @Test
  void registryServerAndClientAsThreeProcessesSayHelloWorld() throws Exception {
    Launched registry = launch("registry", "--port", "0");
    String uri = registry.await("Dev registry listening on (http://127\\.0\\.0\\.1:\\d+)");
    Launched server = launch("server", "--consul", uri);
    String id = server.await("as (example\\.service-\\d+-\\w+), registered in ");

    Launched client = launch("client", "--consul", uri);

    assertThat(client.process.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue()).as("see target/multi-process-client.stderr.log").isZero();
    assertThat(client.lines.get(5, TimeUnit.SECONDS)).containsExactly("Response: Hello World");

    // Ctrl-C (SIGTERM) on the server deregisters it before the JVM ends. Through the handle:
    // Process.destroy() would also close our end of its stdout and lose its last lines.
    server.process.toHandle().destroy();
    assertThat(server.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
    assertThat(server.lines.get(5, TimeUnit.SECONDS))
        .contains("Stopping: deregistering " + id, "example.service stopped");
    HttpResponse<String> health = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(uri + "/v1/health/service/example.service")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(health.body()).isEqualTo("[]");
  }

  /** A started process and its stdout. */
  private static final class Launched {
    final Process process;
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CompletableFuture<List<String>> lines = new CompletableFuture<>();

    Launched(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            seen.add(line);
          }
        } catch (IOException e) {
          // the process was killed; what was read stays
        }
        lines.complete(List.copyOf(seen));
      }, "test-process-reader");
      reader.setDaemon(true);
      reader.start();
    }

    int exitValue() {
      return process.exitValue();
    }

    /** The first group of {@code regex} in a line of output, once it appears. */
    String await(String regex) throws InterruptedException {
      Pattern pattern = Pattern.compile(regex);
      long deadline = System.nanoTime() + STARTUP.toNanos();
      while (System.nanoTime() - deadline < 0) {
        for (String line : seen) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m.group(1);
          }
        }
        if (lines.isDone()) {
          break;
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no line matching " + regex + " in " + seen);
    }
  }
}
