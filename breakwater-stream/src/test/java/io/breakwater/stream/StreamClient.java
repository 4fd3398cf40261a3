package io.breakwater.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Reads a server-sent event stream in a test: every line and every parsed data message. */
final class StreamClient implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).proxy(HttpClient.Builder.NO_PROXY).build();

  final List<String> lines = new CopyOnWriteArrayList<>();
  final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<HttpResponse<Void>> response;
  private final CompletableFuture<HttpResponse.ResponseInfo> info = new CompletableFuture<>();
  private volatile Flow.Subscription subscription;

  StreamClient(URI uri, Map<String, String> headers) {
    HttpRequest.Builder r = HttpRequest.newBuilder(uri).GET();
    headers.forEach(r::header);
    Flow.Subscriber<String> lineSubscriber = new Flow.Subscriber<String>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(String line) {
            lines.add(line);
            if (line.startsWith("data: ")) {
              try {
                messages.add(JSON.readTree(line.substring(6)));
              } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
              }
            }
          }

          @Override
          public void onError(Throwable throwable) {}

          @Override
          public void onComplete() {}
        };
    response = HTTP.sendAsync(r.build(), responseInfo -> {
      info.complete(responseInfo);
      return HttpResponse.BodySubscribers.fromLineSubscriber(lineSubscriber, s -> null,
          java.nio.charset.StandardCharsets.UTF_8, null);
    });
    response.whenComplete((ok, error) -> {
      if (error != null) {
        info.completeExceptionally(error);
      }
    });
  }

  static StreamClient open(URI uri) {
    return new StreamClient(uri, Map.of());
  }

  /** The next data message matching type and name, waiting up to the timeout. */
  JsonNode next(String type, String name, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode m = messages.poll(50, TimeUnit.MILLISECONDS);
      if (m != null && type.equals(m.path("type").asText())
          && (name == null || name.equals(m.path("name").asText()))) {
        return m;
      }
    }
    throw new AssertionError("no " + type + " " + name + " within " + timeout
        + "; lines so far: " + lines.size() + ", first: "
        + (lines.isEmpty() ? "none" : lines.get(0).substring(0, Math.min(200,
            lines.get(0).length()))));
  }

  /** Waits until a message satisfies the condition. */
  JsonNode await(String type, String name, Duration timeout,
      java.util.function.Predicate<JsonNode> condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<JsonNode> seen = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      JsonNode m = messages.poll(50, TimeUnit.MILLISECONDS);
      if (m != null && type.equals(m.path("type").asText())
          && (name == null || name.equals(m.path("name").asText()))) {
        if (condition.test(m)) {
          return m;
        }
        seen.add(m);
      }
    }
    throw new AssertionError("no matching " + type + " " + name + " within " + timeout
        + "; last: " + (seen.isEmpty() ? "none" : seen.get(seen.size() - 1)));
  }

  /** The status and headers, as soon as they arrive. */
  HttpResponse.ResponseInfo headers() throws Exception {
    return info.get(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    response.cancel(true);
  }
}
