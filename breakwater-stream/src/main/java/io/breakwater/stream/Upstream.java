package io.breakwater.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.breakwater.discovery.ServiceInstance;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream of one registry-listed instance, read asynchronously (no thread waits on it), with
 * the latest message of each of its commands, pools and collapsers. A broken or refused
 * connection is retried with a growing pause while the instance stays listed.
 */
final class Upstream {

  private static final Logger log = LoggerFactory.getLogger(Upstream.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Bounds the memory a misbehaving instance can make us hold. */
  static final int MAX_ENTITIES = 10_000;
  /** The longest line read from an instance; a Hystrix message is a few kilobytes. */
  static final int MAX_LINE_BYTES = 1 << 20;
  private static final long MIN_RETRY_MILLIS = 500;
  private static final long MAX_RETRY_MILLIS = 30_000;

  private final ServiceInstance instance;
  private final URI uri;
  private final HttpClient client;
  private final String bearerToken;
  private final ScheduledExecutorService timer;
  private final Map<String, Latest> latest = new ConcurrentHashMap<>();
  private volatile boolean stopped;
  private volatile LineSplitter splitter;
  private volatile CompletableFuture<?> exchange;
  private volatile long connectedNanos;
  private int failures;

  record Latest(ObjectNode message, long receivedNanos) {}

  Upstream(ServiceInstance instance, String path, long delayMillis, HttpClient client,
      String bearerToken, ScheduledExecutorService timer) {
    this.instance = instance;
    this.client = client;
    this.bearerToken = bearerToken;
    this.timer = timer;
    try {
      // Built from the registry's address and port only: nothing a request names goes here.
      this.uri = new URI("http", null, instance.address(), instance.port(), path,
          "delay=" + delayMillis, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("instance " + instance.id()
          + " has an address that makes no URI: " + instance.address(), e);
    }
  }

  ServiceInstance instance() {
    return instance;
  }

  URI uri() {
    return uri;
  }

  /** The latest message of each entity of this instance. */
  Map<String, Latest> latest() {
    return latest;
  }

  void start() {
    if (stopped) {
      return;
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(5))
        .header("Accept", "text/event-stream")
        .GET();
    if (bearerToken != null) {
      request.header("Authorization", "Bearer " + bearerToken);
    }
    exchange = client.sendAsync(request.build(), info -> {
      if (info.statusCode() != 200) {
        log.debug("instance {} at {} answered {}", instance.id(), uri, info.statusCode());
        return HttpResponse.BodySubscribers.discarding();
      }
      connectedNanos = System.nanoTime();
      LineSplitter lines = new LineSplitter(MAX_LINE_BYTES, this::onLine,
          () -> log.warn("instance {} at {} sent a line longer than {} bytes; reconnecting",
              instance.id(), uri, MAX_LINE_BYTES));
      splitter = lines;
      if (stopped) {
        lines.cancel();
      }
      return HttpResponse.BodySubscribers.fromSubscriber(lines);
    }).whenComplete((response, error) -> {
      if (error != null) {
        log.debug("stream of instance {} at {} ended: {}", instance.id(), uri, error.toString());
      }
      retry();
    });
  }

  void stop() {
    stopped = true;
    LineSplitter s = splitter;
    if (s != null) {
      s.cancel();
    }
    CompletableFuture<?> e = exchange;
    if (e != null) {
      e.cancel(true);
    }
    latest.clear();
  }

  private void retry() {
    if (stopped) {
      return;
    }
    long pause;
    synchronized (this) { // guards failures: completions of successive exchanges may overlap
      pause = Math.min(MAX_RETRY_MILLIS, MIN_RETRY_MILLIS << Math.min(failures, 10));
      failures++;
    }
    try {
      timer.schedule(this::start, pause, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // The server is closing: nothing more to read.
      stopped = true;
    }
  }

  private void accept(String line) {
    if (!line.startsWith("data:")) {
      return; // pings, comments and blank separators
    }
    JsonNode node;
    try {
      node = JSON.readTree(line.substring(5).trim());
    } catch (IOException e) {
      log.debug("instance {} sent a line that is not JSON; skipped", instance.id());
      return;
    }
    if (!(node instanceof ObjectNode) || !node.path("type").isTextual()
        || !node.path("name").isTextual()) {
      return;
    }
    String key = node.get("type").asText() + '\u0000' + node.get("name").asText();
    if (latest.size() >= MAX_ENTITIES && !latest.containsKey(key)) {
      return;
    }
    latest.put(key, new Latest((ObjectNode) node, System.nanoTime()));
    synchronized (this) {
      failures = 0;
    }
  }

  /** Takes lines as they come; the JDK client calls it on its own threads, one at a time. */
  private void onLine(String line) {
    if (!stopped) {
      accept(line);
    }
  }

  @Override
  public String toString() {
    return "Upstream{" + instance.id() + " " + uri + ", connected=" + (connectedNanos != 0) + "}";
  }
}
