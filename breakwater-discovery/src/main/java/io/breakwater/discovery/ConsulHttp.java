package io.breakwater.discovery;

import io.breakwater.discovery.ConsulProblem.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place that talks HTTP to Consul: HTTP/1.1 on the JDK client, the token on every
 * request, a per-request timeout, and a cap on how much of a body is read, so that a broken or
 * hostile server can neither hang a caller nor fill its heap.
 */
final class ConsulHttp implements AutoCloseable {

  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();

  private final URI base;
  private final String token;
  private final long maxResponseBytes;
  private final ExecutorService executor;
  private final HttpClient client;

  /** One answer: status, headers and the whole body. */
  record Response(int status, HttpHeaders headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  ConsulHttp(ConsulRegistry.Settings config) {
    this.base = config.baseUri();
    this.token = config.token();
    this.maxResponseBytes = config.maxResponseBytes();
    this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), runnable -> {
          Thread thread =
              new Thread(runnable, "breakwater-consul-http-" + THREAD_NUMBERS.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    HttpClient.Builder builder = HttpClient.newBuilder()
        // HTTP/2 would send an h2c upgrade on every plain-http request; Consul speaks HTTP/1.1.
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(config.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor);
    if (config.sslContext() != null) {
      builder.sslContext(config.sslContext());
    }
    this.client = builder.build();
  }

  URI base() {
    return base;
  }

  /**
   * Sends one request and reads the whole answer, whatever its status.
   *
   * @param pathAndQuery starting with {@code /v1/}, already percent-encoded
   * @param body JSON to send, or null for none
   * @param timeout how long to wait for the answer's headers; its body gets as long again
   */
  Response send(String method, String pathAndQuery, byte[] body, Duration timeout)
      throws ConsulProblem, InterruptedException {
    URI uri = URI.create(base + pathAndQuery);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout);
    if (token != null) {
      request.header("X-Consul-Token", token);
    }
    if (body != null) {
      // Consul does not need it, but proxies in front of it may (hashicorp/consul#10011).
      request.header("Content-Type", "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    String what = method + " " + pathAndQuery;
    CompletableFuture<HttpResponse<byte[]>> future =
        client.sendAsync(request.build(), info -> new LimitedBody(maxResponseBytes, info));
    try {
      HttpResponse<byte[]> response = future.get(timeout.toNanos() * 2, TimeUnit.NANOSECONDS);
      return new Response(response.statusCode(), response.headers(), response.body());
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new ConsulProblem(Kind.TIMEOUT, what + " got no complete answer within "
          + timeout.multipliedBy(2).toMillis() + " ms", e);
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      throw classify(what, timeout, e.getCause());
    }
  }

  private ConsulProblem classify(String what, Duration timeout, Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && !(root instanceof TooLarge)
        && !(root instanceof HttpTimeoutException)) {
      root = root.getCause();
    }
    if (root instanceof TooLarge) {
      return new ConsulProblem(Kind.TOO_LARGE,
          what + " answered more than " + maxResponseBytes + " bytes", root);
    }
    if (root instanceof HttpTimeoutException) {
      return new ConsulProblem(Kind.TIMEOUT,
          what + " got no answer within " + timeout.toMillis() + " ms", root);
    }
    String reason = root instanceof ConnectException
        ? "connection refused or unreachable"
        : root.toString();
    return new ConsulProblem(Kind.UNREACHABLE, what + " to " + base + " failed: " + reason, root);
  }

  @Override
  public void close() {
    // HttpClient is AutoCloseable from Java 21; on 17 its selector thread ends once the client
    // is unreachable, and its work runs on our executor, which ends here.
    if (client instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // Closing is best effort; nothing is left to do with the client.
      }
    }
    executor.shutdownNow();
  }

  /** Signals that a body exceeded the limit. */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(long limit) {
      super("response body larger than " + limit + " bytes");
    }
  }

  /** Collects a body up to a limit and fails, cancelling the transfer, beyond it. */
  private static final class LimitedBody implements BodySubscriber<byte[]> {
    private final long limit;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final boolean declaredTooLarge;
    private Flow.Subscription subscription;

    LimitedBody(long limit, HttpResponse.ResponseInfo info) {
      this.limit = limit;
      this.declaredTooLarge = info.headers().firstValueAsLong("Content-Length").orElse(0) > limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      if (declaredTooLarge) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge(limit));
        return;
      }
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        if (bytes.size() + (long) buffer.remaining() > limit) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge(limit));
          return;
        }
        byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toByteArray());
    }
  }
}
