package io.breakwater.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Headless Chromium driven over the DevTools protocol with the JDK's WebSocket client and
 * Jackson: enough to open a page, read its DOM through JavaScript, collect console output and
 * take a screenshot. Everything stays on 127.0.0.1.
 */
final class Chromium implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/chromium");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING =
      Pattern.compile("DevTools listening on (ws://127\\.0\\.0\\.1:(\\d+)/\\S+)");

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  /** Console messages and uncaught exceptions of the page, as text. */
  final List<String> console = new CopyOnWriteArrayList<>();

  static boolean available() {
    return Files.isExecutable(BINARY);
  }

  private Chromium(Process process, Path profile, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
  }

  /** Starts a fresh headless browser on {@code url}. */
  static Chromium open(URI url) throws Exception {
    Path profile = Files.createTempDirectory("breakwater-chromium");
    Process p = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "--window-size=1400,1000", "--hide-scrollbars",
        "--force-device-scale-factor=1",
        // Only loopback resolves: a page can reach nothing beyond this machine.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "about:blank")
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    int port = -1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    StringBuilder seen = new StringBuilder();
    while (port < 0 && System.nanoTime() < deadline) {
      String line = out.readLine();
      if (line == null) {
        break;
      }
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        port = Integer.parseInt(m.group(2));
      }
    }
    if (port < 0) {
      p.destroyForcibly();
      throw new IllegalStateException("Chromium did not start its DevTools server:\n" + seen);
    }
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // Chromium's own logging; kept out of the test output.
        }
      } catch (IOException ignored) {
        // The process ended.
      }
    }, "chromium-output");
    drain.setDaemon(true);
    drain.start();

    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    String list = http.send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + port + "/json/list")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    String wsUrl = null;
    for (JsonNode target : JSON.readTree(list)) {
      if ("page".equals(target.path("type").asText())) {
        wsUrl = target.get("webSocketDebuggerUrl").asText();
        break;
      }
    }
    if (wsUrl == null) {
      p.destroyForcibly();
      throw new IllegalStateException("no page target in " + list);
    }
    Listener listener = new Listener();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl), listener)
        .get(10, TimeUnit.SECONDS);
    Chromium c = new Chromium(p, profile, ws);
    listener.owner = c;
    c.call("Runtime.enable", Map.of());
    c.call("Page.enable", Map.of());
    c.call("Page.navigate", Map.of("url", url.toString()));
    return c;
  }

  /** Sends a DevTools command and waits for its result. */
  JsonNode call(String method, Map<String, Object> params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    pending.put(id, result);
    ObjectNode msg = JSON.createObjectNode();
    msg.put("id", id);
    msg.put("method", method);
    msg.set("params", JSON.valueToTree(params));
    socket.sendText(JSON.writeValueAsString(msg), true).get(10, TimeUnit.SECONDS);
    JsonNode r = result.get(30, TimeUnit.SECONDS);
    if (r.has("error")) {
      throw new IllegalStateException(method + " failed: " + r.get("error"));
    }
    return r.get("result");
  }

  /** Evaluates JavaScript in the page; its value as JSON (null when undefined). */
  JsonNode eval(String expression) throws Exception {
    JsonNode r = call("Runtime.evaluate", Map.of("expression", expression,
        "returnByValue", true, "awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException("page threw: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** Evaluates until the value satisfies the condition; the last value otherwise fails. */
  JsonNode awaitEval(String expression, Predicate<JsonNode> condition, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = eval(expression);
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("after " + timeout + ", " + expression + " is still " + last
        + "; console: " + console);
  }

  /** Writes a PNG of the viewport. */
  void screenshot(Path file) throws Exception {
    JsonNode r = call("Page.captureScreenshot", Map.of("format", "png",
        "captureBeyondViewport", true));
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(r.get("data").asText()));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      // Chromium's helper processes (renderer, network service) may outlive the browser by a
      // moment and keep writing into the profile: stop them all, then delete what is left.
      List<ProcessHandle> helpers = process.descendants().toList();
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      for (ProcessHandle helper : helpers) {
        helper.destroyForcibly();
        helper.onExit().get(5, TimeUnit.SECONDS);
      }
      deleteProfile();
    }
  }

  /** Deletes the profile directory; files that vanish while it is walked are already gone. */
  private void deleteProfile() throws IOException {
    for (int attempt = 0; attempt < 5 && Files.exists(profile); attempt++) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (UncheckedIOException | NoSuchFileException e) {
        // A file disappeared between listing and visiting it: walk again.
      }
    }
    if (Files.exists(profile)) {
      throw new IOException("could not delete the Chromium profile " + profile);
    }
  }

  private void onMessage(JsonNode msg) {
    if (msg.has("id")) {
      CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
      if (f != null) {
        f.complete(msg);
      }
      return;
    }
    String method = msg.path("method").asText();
    if (method.equals("Runtime.consoleAPICalled")) {
      StringBuilder s = new StringBuilder(msg.at("/params/type").asText()).append(':');
      for (JsonNode arg : msg.at("/params/args")) {
        s.append(' ').append(arg.has("value") ? arg.get("value").asText()
            : arg.path("description").asText());
      }
      console.add(s.toString());
    } else if (method.equals("Runtime.exceptionThrown")) {
      console.add("exception: " + msg.at("/params/exceptionDetails/exception/description")
          .asText(msg.at("/params/exceptionDetails/text").asText()));
    }
  }

  private static final class Listener implements WebSocket.Listener {
    volatile Chromium owner;
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          Chromium c = owner;
          if (c != null) {
            c.onMessage(JSON.readTree(text));
          }
        } catch (IOException e) {
          throw new IllegalStateException("DevTools sent something that is not JSON", e);
        }
      }
      ws.request(1);
      return null;
    }
  }
}
