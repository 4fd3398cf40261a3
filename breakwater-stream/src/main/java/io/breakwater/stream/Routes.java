package io.breakwater.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.breakwater.discovery.Registry;
import io.breakwater.discovery.ServiceInstance;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every route of a {@link BreakwaterServer}, checked in a fixed order: known path (404), GET
 * (405), token (401), parameters (400), then the answer.
 */
final class Routes implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(Routes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COOKIE = "breakwater_token";
  private static final String TEXT = "text/plain; charset=utf-8";
  /** Distinct fleet streams a server keeps; each is small, but requests must not grow it. */
  private static final int MAX_FLEET_FEEDS = 256;
  private static final Set<String> PATHS = Set.of("/", "/dashboard.css", "/dashboard.js",
      "/favicon.svg", "/hystrix.stream", "/turbine.stream", "/api/sources", "/metrics");
  /**
   * The page loads only its own files and talks only to its own server, which defeats injected
   * markup even if a command name were ever rendered unescaped.
   */
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  private final Sampler sampler;
  private final LocalFeed local;
  private final FleetFeed.Settings fleetSettings;
  private final Supplier<HttpClient> upstreamClient;
  private final Registry registry;
  private final List<String> services;
  private final String title;
  private final byte[] token;
  private final int maxConnections;
  private final long delayMillis;
  private final int queueTicks;
  private final Supplier<String> metrics;
  private final String metricsContentType;
  private final Map<String, Asset> assets = new HashMap<>();
  private final Map<String, FleetFeed> fleets = new ConcurrentHashMap<>();
  private final Set<StreamConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger streams = new AtomicInteger();
  private volatile long droppedByClosed;

  private record Asset(byte[] body, String contentType) {}

  Routes(BreakwaterServer.Builder b, Sampler sampler, LocalFeed local,
      FleetFeed.Settings fleetSettings, Supplier<HttpClient> upstreamClient) {
    this.sampler = sampler;
    this.local = local;
    this.fleetSettings = fleetSettings;
    this.upstreamClient = upstreamClient;
    this.registry = b.registry;
    this.services = List.copyOf(b.services);
    this.title = b.title;
    this.token = b.bearerToken == null ? null : b.bearerToken.getBytes(StandardCharsets.UTF_8);
    this.maxConnections = b.maxConnections;
    this.delayMillis = b.delayMillis;
    this.queueTicks = b.queueTicks;
    this.metrics = b.metrics;
    this.metricsContentType = b.metricsContentType;
    assets.put("/", asset("index.html", "text/html; charset=utf-8"));
    assets.put("/dashboard.css", asset("dashboard.css", "text/css; charset=utf-8"));
    assets.put("/dashboard.js", asset("dashboard.js", "text/javascript; charset=utf-8"));
    assets.put("/favicon.svg", asset("favicon.svg", "image/svg+xml"));
  }

  int openStreams() {
    return open.size();
  }

  int fleetStreams() {
    return fleets.size();
  }

  long droppedTicks() {
    long sum = droppedByClosed;
    for (StreamConnection c : open) {
      sum += c.dropped();
    }
    return sum;
  }

  /** Ends every open stream. */
  void close() {
    for (StreamConnection c : open) {
      c.close();
    }
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (InputStream body = ex.getRequestBody()) {
      route(ex);
    } catch (Query.BadRequest e) {
      trySend(ex, 400, e.getMessage());
    } catch (IOException e) {
      // The reader went away; nothing to answer and nothing worth more than a debug line.
      log.debug("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
    } catch (RuntimeException e) {
      log.error("failed to answer {} {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
      trySend(ex, 500, "internal error");
    } finally {
      ex.close();
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (!PATHS.contains(path)) {
      send(ex, 404, TEXT, "no such page: the dashboard is at /, the stream at /hystrix.stream");
      return;
    }
    boolean head = "HEAD".equals(ex.getRequestMethod());
    if (!head && !"GET".equals(ex.getRequestMethod())) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      send(ex, 405, TEXT, ex.getRequestMethod() + " is not allowed here; use GET");
      return;
    }
    Query query = Query.parse(ex.getRequestURI().getRawQuery());
    if (!authorized(ex, query)) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"breakwater\"");
      send(ex, 401, TEXT, "a bearer token is required: send 'Authorization: Bearer <token>'"
          + " or open /?access_token=<token> once");
      return;
    }
    if (head) {
      head(ex, path, query);
      return;
    }
    switch (path) {
      case "/hystrix.stream":
        stream(ex, local, delay(query));
        break;
      case "/turbine.stream":
        turbine(ex, query);
        break;
      case "/api/sources":
        sources(ex);
        break;
      case "/metrics":
        metrics(ex);
        break;
      default:
        page(ex, path, query);
    }
  }

  /**
   * Answers HEAD with the headers GET would send and no body: a probe learns that the page or
   * stream is there without opening a stream connection or rendering anything.
   */
  private void head(HttpExchange ex, String path, Query query) throws IOException {
    Headers h = ex.getResponseHeaders();
    switch (path) {
      case "/hystrix.stream":
      case "/turbine.stream":
        delay(query); // the same 400 as GET for a bad delay
        streamHeaders(h);
        break;
      case "/api/sources":
        h.set("Content-Type", "application/json");
        h.set("Cache-Control", "no-store");
        break;
      case "/metrics":
        if (metrics == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        h.set("Content-Type", metricsContentType);
        h.set("Cache-Control", "no-store");
        break;
      default:
        pageHeaders(h, assets.get(path));
    }
    h.set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(200, -1);
  }

  /** The headers of a page or one of its files, for GET and HEAD alike. */
  private static void pageHeaders(Headers h, Asset a) {
    h.set("Content-Type", a.contentType);
    h.set("Cache-Control", "no-cache");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Content-Security-Policy", CSP);
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
  }

  /** The headers of an event stream, for GET and HEAD alike. */
  private static void streamHeaders(Headers h) {
    h.set("Content-Type", "text/event-stream;charset=UTF-8");
    h.set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
    h.set("Pragma", "no-cache");
    h.set("X-Content-Type-Options", "nosniff");
  }

  private long delay(Query query) {
    return query.integer("delay", delayMillis, BreakwaterServer.Builder.MIN_DELAY_MILLIS,
        BreakwaterServer.Builder.MAX_DELAY_MILLIS);
  }

  private void page(HttpExchange ex, String path, Query query) throws IOException {
    String offered = query.get("access_token");
    if (path.equals("/") && token != null && offered != null && matches(offered)) {
      // Opened with the token in the address: keep it in a cookie the stream requests carry
      // (EventSource cannot send headers) and take it out of the address bar and history.
      ex.getResponseHeaders().set("Set-Cookie", COOKIE + "=" + offered
          + "; Path=/; HttpOnly; SameSite=Strict");
      ex.getResponseHeaders().set("Location", "/");
      send(ex, 303, TEXT, "see /");
      return;
    }
    Asset a = assets.get(path);
    pageHeaders(ex.getResponseHeaders(), a);
    ex.sendResponseHeaders(200, a.body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(a.body);
    }
  }

  private void turbine(HttpExchange ex, Query query) throws IOException {
    String service = query.name("service", true);
    String instance = query.name("instance", false);
    long delay = delay(query);
    if (registry == null) {
      send(ex, 404, TEXT, "no registry is configured, so there is no fleet to stream");
      return;
    }
    String key = instance == null ? service : service + "/" + instance;
    FleetFeed feed = fleets.get(key);
    if (feed == null) {
      if (fleets.size() >= MAX_FLEET_FEEDS) {
        send(ex, 503, TEXT, "too many distinct fleet streams (" + MAX_FLEET_FEEDS + ")");
        return;
      }
      feed = fleets.computeIfAbsent(key, k -> new FleetFeed(service, instance, registry,
          fleetSettings, upstreamClient, sampler.executor()));
    }
    try {
      stream(ex, feed, delay);
    } finally {
      // The cap counts fleets being streamed, not every name ever asked for.
      if (!feed.active()) {
        fleets.remove(key, feed);
      }
    }
  }

  private void stream(HttpExchange ex, Feed feed, long delay) throws IOException {
    if (streams.incrementAndGet() > maxConnections) {
      streams.decrementAndGet();
      send(ex, 503, TEXT, "MaxConcurrentConnections reached: " + maxConnections
          + " stream connections are open, which is this server's limit; close a dashboard"
          + " or raise maxConnections");
      return;
    }
    StreamConnection c = new StreamConnection(queueTicks);
    open.add(c);
    Runnable unsubscribe = () -> {};
    try {
      streamHeaders(ex.getResponseHeaders());
      ex.sendResponseHeaders(200, 0);
      unsubscribe = sampler.subscribe(feed, delay, c);
      try (OutputStream out = ex.getResponseBody()) {
        c.writeUntilClosed(out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      unsubscribe.run();
      c.close();
      open.remove(c);
      droppedByClosed += c.dropped();
      streams.decrementAndGet();
    }
  }

  private void sources(HttpExchange ex) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("title", title);
    root.put("aggregation", registry != null);
    ArrayNode list = root.putArray("services");
    if (registry != null) {
      for (String service : services) {
        ObjectNode s = list.addObject();
        s.put("name", service);
        ArrayNode instances = s.putArray("instances");
        for (ServiceInstance i : registry.instances(service)) {
          instances.addObject().put("id", i.id()).put("address", i.address())
              .put("port", i.port());
        }
      }
    }
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    send(ex, 200, "application/json", JSON.writeValueAsString(root));
  }

  private void metrics(HttpExchange ex) throws IOException {
    if (metrics == null) {
      send(ex, 404, TEXT, "no metrics registry is configured");
      return;
    }
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    send(ex, 200, metricsContentType, metrics.get());
  }

  private boolean authorized(HttpExchange ex, Query query) {
    if (token == null) {
      return true;
    }
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        && matches(header.substring(7).trim())) {
      return true;
    }
    String param = query.get("access_token");
    if (param != null && matches(param)) {
      return true;
    }
    List<String> cookies = ex.getRequestHeaders().get("Cookie");
    if (cookies != null) {
      for (String line : cookies) {
        for (String cookie : line.split(";")) {
          String c = cookie.trim();
          if (c.startsWith(COOKIE + "=") && matches(c.substring(COOKIE.length() + 1))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private boolean matches(String candidate) {
    // Constant time, so the token cannot be guessed a byte at a time from response times.
    return MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = (body + (contentType.equals(TEXT) ? "\n" : ""))
        .getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Answers an error unless the response has already begun (then only the log knows). */
  private static void trySend(HttpExchange ex, int status, String message) {
    try {
      if (ex.getResponseCode() == -1) {
        send(ex, status, TEXT, message);
      }
    } catch (IOException e) {
      log.debug("could not answer {}: {}", status, e.toString());
    }
  }

  private static Asset asset(String name, String contentType) {
    String resource = "/io/breakwater/stream/dashboard/" + name;
    try (InputStream in = Routes.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new Asset(in.readAllBytes(), contentType);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + resource, e);
    }
  }
}
