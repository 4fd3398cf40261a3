package io.breakwater.stream;

import com.sun.net.httpserver.HttpServer;
import io.breakwater.Breakwater;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.config.StreamSettings;
import io.breakwater.discovery.Registry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Breakwater's metrics over HTTP: the Hystrix-compatible event stream, the dashboard
 * page, the merged stream of a fleet found in a registry, and optionally Prometheus text. It
 * runs on the JDK's built-in HTTP server and starts only when asked:
 *
 * <pre>{@code
 * BreakwaterServer server = BreakwaterServer.builder()
 *     .runtime(runtime)
 *     .port(7979)
 *     .start();
 * // http://127.0.0.1:7979/ is the dashboard, /hystrix.stream the stream
 * server.close();
 * }</pre>
 *
 * <p>Routes (GET only; any other method gets 405, any other path 404):
 *
 * <ul>
 *   <li>{@code /} — the dashboard page ({@code /dashboard.css}, {@code /dashboard.js} and
 *       {@code /favicon.svg} are its parts);
 *   <li>{@code /hystrix.stream[?delay=ms]} — this process's commands, thread pools and
 *       collapsers as server-sent events, in Hystrix's format;
 *   <li>{@code /turbine.stream?service=NAME[&instance=ID][&delay=ms]} — the merged stream of
 *       every registry-listed instance of a service (or one of them), when a registry is set;
 *   <li>{@code /api/sources} — what the page's selector offers (the services and instances);
 *   <li>{@code /metrics} — the text of {@link Builder#metrics}, when set.
 * </ul>
 *
 * <p>Safety: it binds to 127.0.0.1 unless told otherwise; the stream connections are capped
 * (503 beyond); with {@link Builder#bearerToken} every route needs the token; the aggregator
 * contacts only instances the registry lists and never an address taken from a request.
 *
 * <p>Threads: one sampler thread builds each tick once for all readers; each stream
 * connection has its own HTTP thread and a small bounded queue, so a slow reader loses ticks
 * and slows nobody. All threads are daemons named {@code breakwater-stream-...} and stop at
 * {@link #close()}.
 */
public final class BreakwaterServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BreakwaterServer.class);
  private static final AtomicInteger SERVERS = new AtomicInteger();

  private final HttpServer http;
  private final ThreadPoolExecutor httpThreads;
  private final Sampler sampler;
  private final Routes routes;
  private final UpstreamClient upstreamClient;
  private volatile boolean closed;

  private BreakwaterServer(Builder b) throws IOException {
    int id = SERVERS.incrementAndGet();
    this.sampler = new Sampler();
    this.upstreamClient = new UpstreamClient(id);
    // Each stream connection holds a thread for as long as it is open; a few more serve the
    // page, the API and over-the-cap refusals, so the cap can never starve them.
    int threads = b.maxConnections + 4;
    AtomicInteger n = new AtomicInteger();
    this.httpThreads = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "breakwater-stream-http-" + id + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    httpThreads.allowCoreThreadTimeOut(true);
    FleetFeed.Settings fleet = new FleetFeed.Settings(b.upstreamPath, b.delayMillis,
        b.upstreamBearerToken != null ? b.upstreamBearerToken : b.bearerToken,
        Math.max(10_000, 4 * b.delayMillis));
    this.routes = new Routes(b, sampler, new LocalFeed(b.runtime, b.collapsers), fleet,
        upstreamClient);
    InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(b.address), b.port);
    this.http = HttpServer.create(bind, 64);
    http.createContext("/", routes);
    http.setExecutor(httpThreads);
    http.start();
    log.info("Breakwater dashboard and stream at {}", uri());
  }

  /** A builder with the defaults: 127.0.0.1:7979, the shared runtime, no token. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address and port the server listens on (the real port when 0 was asked). */
  public InetSocketAddress address() {
    return http.getAddress();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  /** The dashboard's URL, for example {@code http://127.0.0.1:7979/}. */
  public URI uri() {
    InetSocketAddress a = http.getAddress();
    String host = a.getAddress().getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + a.getPort() + "/");
  }

  /** Stream connections open now. */
  public int connections() {
    return routes.openStreams();
  }

  /** Distinct fleet streams ({@code /turbine.stream} service names) being served now. */
  int fleetStreams() {
    return routes.fleetStreams();
  }

  /** Ticks dropped so far for readers that were behind, over all connections. */
  public long droppedTicks() {
    return routes.droppedTicks();
  }

  /**
   * Stops serving: every stream ends, the listening socket and every connection close, and
   * every thread the server started stops. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    routes.close();
    sampler.close();
    http.stop(0);
    httpThreads.shutdownNow();
    upstreamClient.close();
    try {
      if (!httpThreads.awaitTermination(5, TimeUnit.SECONDS)
          || !sampler.awaitTermination(5000)) {
        log.warn("some Breakwater stream threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The HTTP client of the fleet streams, created at the first fleet stream: a server that
   * never aggregates starts none of its threads.
   */
  static final class UpstreamClient implements Supplier<HttpClient>, AutoCloseable {
    private final int id;
    private final AtomicInteger threads = new AtomicInteger();
    private ExecutorService executor;
    private HttpClient client;

    UpstreamClient(int id) {
      this.id = id;
    }

    @Override
    public synchronized HttpClient get() {
      if (client == null) {
        executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
              Thread t = new Thread(r, "breakwater-stream-upstream-" + id + "-"
                  + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
        client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .executor(executor)
            .build();
      }
      return client;
    }

    @Override
    public synchronized void close() {
      if (executor != null) {
        executor.shutdownNow();
      }
      client = null;
    }
  }

  /**
   * Collects the settings of a {@link BreakwaterServer}. Each setter checks its value and names
   * it in the error. Not thread-safe.
   */
  public static final class Builder {
    /** The default port, the one the Hystrix Dashboard used. */
    public static final int DEFAULT_PORT = 7979;
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_MAX_CONNECTIONS =
        StreamSettings.DEFAULT_MAX_CONCURRENT_CONNECTIONS;
    public static final long DEFAULT_DELAY_MILLIS = 500;
    public static final long MIN_DELAY_MILLIS = 100;
    public static final long MAX_DELAY_MILLIS = 30_000;
    public static final int DEFAULT_QUEUE_TICKS = 4;

    BreakwaterRuntime runtime;
    String address = DEFAULT_ADDRESS;
    int port = DEFAULT_PORT;
    int maxConnections = DEFAULT_MAX_CONNECTIONS;
    long delayMillis = DEFAULT_DELAY_MILLIS;
    int queueTicks = DEFAULT_QUEUE_TICKS;
    String bearerToken;
    String upstreamBearerToken;
    String upstreamPath = "/hystrix.stream";
    Registry registry;
    final List<String> services = new ArrayList<>();
    Supplier<String> metrics;
    String metricsContentType = "text/plain; version=0.0.4; charset=utf-8";
    Supplier<? extends Collection<CollapserFigures>> collapsers = List::of;
    String title = "Breakwater";

    private Builder() {}

    /** The runtime whose commands are served (default: the shared {@link Breakwater} one). */
    public Builder runtime(BreakwaterRuntime runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
      return this;
    }

    /**
     * The address to listen on (default 127.0.0.1, this machine only). Another address exposes
     * the metrics and settings of every command to whoever can reach it: set a bearer token.
     */
    public Builder address(String address) {
      Objects.requireNonNull(address, "address must not be null");
      if (address.isBlank()) {
        throw new IllegalArgumentException("address must not be blank");
      }
      this.address = address;
      return this;
    }

    /** The port (default 7979); 0 picks a free one, see {@link BreakwaterServer#port()}. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The most stream connections open at once (default 10); more are refused with 503. */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1 || maxConnections > 1000) {
        throw new IllegalArgumentException(
            "maxConnections must be between 1 and 1000, was " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * The time between ticks when the request gives no {@code ?delay=} (default 500 ms, the
     * Hystrix stream's). Requests may ask for 100 ms to 30 s.
     */
    /**
     * Takes the tick interval and the connection cap from configuration properties
     * ({@code hystrix.stream.dashboard.intervalInMilliseconds},
     * {@code hystrix.config.stream.maxConcurrentConnections} or their Breakwater names), as a
     * {@code ConfigurationBinder} reads them: {@code settings(binder.streamSettings())}.
     */
    public Builder settings(StreamSettings settings) {
      Objects.requireNonNull(settings, "settings must not be null");
      maxConnections(settings.maxConcurrentConnections());
      return delay(Duration.ofMillis(settings.dashboardIntervalMillis()));
    }

    public Builder delay(Duration delay) {
      Objects.requireNonNull(delay, "delay must not be null");
      long millis = delay.toMillis();
      if (millis < MIN_DELAY_MILLIS || millis > MAX_DELAY_MILLIS) {
        throw new IllegalArgumentException("delay must be between " + MIN_DELAY_MILLIS
            + " ms and " + MAX_DELAY_MILLIS + " ms, was " + delay);
      }
      this.delayMillis = millis;
      return this;
    }

    /**
     * Ticks a connection may have waiting (default 4). A reader further behind loses the
     * oldest ones.
     */
    public Builder queueTicks(int ticks) {
      if (ticks < 1 || ticks > 1000) {
        throw new IllegalArgumentException("queueTicks must be between 1 and 1000, was " + ticks);
      }
      this.queueTicks = ticks;
      return this;
    }

    /**
     * Requires this token on every route: as {@code Authorization: Bearer <token>}, as the
     * {@code access_token} query parameter, or as the cookie the page sets after being opened
     * once with {@code /?access_token=<token>}. At least 16 characters of letters, digits and
     * {@code - . _ ~ + /}. Null (the default) requires nothing.
     */
    public Builder bearerToken(String token) {
      this.bearerToken = token == null ? null : checkToken("bearerToken", token);
      return this;
    }

    /** Enables {@code /turbine.stream}: the instances of a service are looked up here. */
    public Builder registry(Registry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
      return this;
    }

    /** Services the page's selector offers (any registry-listed service can be streamed). */
    public Builder services(String... names) {
      for (String name : names) {
        Objects.requireNonNull(name, "service names must not be null");
        if (!name.matches("[A-Za-z0-9._:\\-]{1,200}")) {
          throw new IllegalArgumentException("service name may hold only letters, digits and"
              + " . _ - : (at most 200), was '" + name + "'");
        }
        services.add(name);
      }
      return this;
    }

    /** The path of the instances' streams (default {@code /hystrix.stream}). */
    public Builder upstreamPath(String path) {
      Objects.requireNonNull(path, "upstreamPath must not be null");
      if (!path.matches("/[A-Za-z0-9._~/\\-]*")) {
        throw new IllegalArgumentException("upstreamPath must be an absolute path of letters,"
            + " digits and . _ ~ / -, was '" + path + "'");
      }
      this.upstreamPath = path;
      return this;
    }

    /** The token sent to the instances when aggregating (default: {@link #bearerToken}). */
    public Builder upstreamBearerToken(String token) {
      this.upstreamBearerToken = token == null ? null : checkToken("upstreamBearerToken", token);
      return this;
    }

    /**
     * Serves {@code /metrics} with this text as Prometheus's exposition format, for example
     * {@code prometheusRegistry::scrape}.
     */
    public Builder metrics(Supplier<String> text) {
      this.metrics = Objects.requireNonNull(text, "metrics must not be null");
      return this;
    }

    /** Same as {@link #metrics(Supplier)} with another content type. */
    public Builder metrics(Supplier<String> text, String contentType) {
      metrics(text);
      Objects.requireNonNull(contentType, "contentType must not be null");
      this.metricsContentType = contentType;
      return this;
    }

    /** Collapsers to report as {@code HystrixCollapser} messages (default: none). */
    public Builder collapsers(Supplier<? extends Collection<CollapserFigures>> figures) {
      this.collapsers = Objects.requireNonNull(figures, "collapsers must not be null");
      return this;
    }

    /** The page's heading, for example the application's name (default "Breakwater"). */
    public Builder title(String title) {
      Objects.requireNonNull(title, "title must not be null");
      if (title.isBlank() || title.length() > 100) {
        throw new IllegalArgumentException("title must be 1 to 100 characters");
      }
      this.title = title;
      return this;
    }

    /**
     * Binds and starts the server.
     *
     * @throws UncheckedIOException when the address cannot be bound (the port is taken)
     */
    public BreakwaterServer start() {
      if (runtime == null) {
        runtime = Breakwater.runtime();
      }
      try {
        return new BreakwaterServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("could not listen on " + address + ":" + port, e);
      }
    }

    private static String checkToken(String field, String token) {
      if (token.length() < 16 || !token.matches("[A-Za-z0-9\\-._~+/]+=*")) {
        throw new IllegalArgumentException(field + " must be at least 16 characters of letters,"
            + " digits and - . _ ~ + /");
      }
      return token;
    }
  }
}
