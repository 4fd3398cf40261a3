package io.breakwater.discovery;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node registry that speaks the subset of Consul's HTTP API that {@link ConsulRegistry}
 * uses, so several processes on one machine can share a registry with no Consul installed, and so
 * tests have a Consul to talk to, with switches for the faults a real one shows.
 *
 * <p>Endpoints: {@code PUT /v1/agent/service/register}, {@code /v1/agent/service/deregister/:id},
 * {@code /v1/agent/check/{pass,warn,fail,update}/:id}; {@code GET /v1/health/service/:name} (with
 * {@code passing}, {@code tag} and blocking), {@code /v1/catalog/service/:name} and {@code
 * /v1/catalog/services} (blocking), {@code /v1/agent/services}, {@code /v1/agent/checks}, {@code
 * /v1/agent/self}, {@code /v1/status/leader} and {@code /v1/status/peers}. Status codes, error
 * texts, headers, check defaults (new checks start critical), TTL expiry output and reaping after
 * {@code DeregisterCriticalServiceAfter} follow Consul's documentation. Differences from a real
 * agent: registrations are visible at once (a real agent syncs to the catalog within seconds),
 * only TTL checks change state (HTTP, TCP, script and other checks keep their initial status), and
 * output-only check updates never wake blocked queries.
 *
 * <p>The server binds 127.0.0.1 unless told otherwise. It starts threads only in {@link
 * Builder#start}: the JDK server's dispatcher and a pool of daemon handler threads named {@code
 * breakwater-dev-registry-N} (at most {@value #MAX_HANDLER_THREADS}, since every blocked query
 * holds one). {@link #close} stops them all and releases blocked queries. Time for TTLs and the
 * reaper comes from an injectable {@link Ticker}; with a fake one, call {@link #runTimers} after
 * moving it so that blocked queries see the result at once. Thread-safe.
 */
public final class DevRegistryServer implements AutoCloseable {

  /** Port of the command-line server, Consul's HTTP port: {@value}. */
  public static final int DEFAULT_CLI_PORT = 8500;

  /** How often the reaper looks for services to remove, as in Consul: {@value} seconds. */
  public static final long DEFAULT_REAPER_INTERVAL_SECONDS = 30;

  /** Handler threads at most; each blocked query holds one. */
  public static final int MAX_HANDLER_THREADS = 64;

  private static final Logger log = LoggerFactory.getLogger(DevRegistryServer.class);
  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();

  private final HttpServer server;
  private final ThreadPoolExecutor handlers;
  private final AgentState state;
  private final ConsulHttpApi api;
  private final URI uri;
  private final CountDownLatch closed = new CountDownLatch(1);

  private DevRegistryServer(Builder builder) throws IOException {
    this.state = new AgentState(builder.ticker, builder.reaperInterval.toNanos());
    this.api = new ConsulHttpApi(state, builder.ticker, builder.aclToken, builder.jitter);
    this.handlers = new ThreadPoolExecutor(MAX_HANDLER_THREADS, MAX_HANDLER_THREADS, 30,
        TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
          Thread thread = new Thread(runnable,
              "breakwater-dev-registry-" + THREAD_NUMBERS.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    handlers.allowCoreThreadTimeOut(true);
    InetSocketAddress bind = new InetSocketAddress(builder.host, builder.port);
    this.server = HttpServer.create(bind, 0);
    server.createContext("/", api);
    server.setExecutor(handlers);
    server.start();
    InetSocketAddress bound = server.getAddress();
    String host = bound.getAddress().getHostAddress();
    this.uri = URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
        + bound.getPort());
    log.info("Dev registry listening on {}", uri);
  }

  /** A builder for a server on 127.0.0.1 with an ephemeral port. */
  public static Builder builder() {
    return new Builder();
  }

  /** The base address, for example {@code http://127.0.0.1:8500}. */
  public URI uri() {
    return uri;
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Applies the TTL expiries and reaping due at the ticker's current time. */
  public void runTimers() {
    state.runTimers();
  }

  /**
   * Forgets every service and check, as an agent restarted without its data does: heartbeats of
   * registered instances then fail with 404 (or 500 in {@link #legacyErrors legacy mode}).
   */
  public void forgetAllServices() {
    state.forgetAll();
  }

  /** Moves every index back to 2, as a snapshot restore does. */
  public void rewindIndexes() {
    state.rewindIndexes();
  }

  /** Makes every {@code /v1/} request answer {@code status} with {@code body}, until cleared. */
  public void failRequests(int status, String body) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be between 400 and 599: was " + status);
    }
    api.failure = new ConsulHttpApi.Failure(status, Objects.requireNonNull(body, "body"));
  }

  /** Makes reads report {@code X-Consul-Index: 0}, as old or buggy servers did. */
  public void reportIndexZero(boolean on) {
    api.indexZero = on;
  }

  /** Delays every health and catalog read by {@code extra} after its normal answer time. */
  public void delayReads(Duration extra) {
    Objects.requireNonNull(extra, "extra");
    if (extra.isNegative()) {
      throw new IllegalArgumentException("extra must not be negative: was " + extra);
    }
    api.readDelayNanos = extra.toNanos();
  }

  /**
   * Without a leader, reads in the default consistency mode answer 500 {@code No cluster leader},
   * {@code ?stale} reads still work but say {@code X-Consul-KnownLeader: false}, and {@code
   * /v1/status/leader} answers {@code ""}. Agent writes keep working, as on a real agent.
   */
  public void loseLeader(boolean lost) {
    api.setLeaderLost(lost);
  }

  /** Makes health and catalog reads answer with the given kind of garbage; null stops it. */
  public void corruptReads(Corruption corruption) {
    api.corruption = corruption;
  }

  /**
   * Answers as agents before the current ACL code did: 200 for deregistering an unknown service
   * and 500 {@code CheckID "<id>" does not have associated TTL} for heartbeats of an unknown check,
   * instead of 404.
   */
  public void legacyErrors(boolean on) {
    api.legacyErrors = on;
  }

  /** Turns every fault switch off. */
  public void clearFaults() {
    api.failure = null;
    api.indexZero = false;
    api.readDelayNanos = 0;
    api.setLeaderLost(false);
    api.corruption = null;
    api.legacyErrors = false;
  }

  /** Requests received so far, oldest first (the last {@value ConsulHttpApi#RECORDED} only). */
  public List<RecordedRequest> requests() {
    return api.requests();
  }

  /** Forgets the recorded requests. */
  public void clearRequests() {
    api.clearRequests();
  }

  /** Stops listening, releases blocked queries and stops every thread. Idempotent. */
  @Override
  public void close() {
    if (closed.getCount() == 0) {
      return;
    }
    closed.countDown();
    state.close();
    server.stop(0);
    handlers.shutdownNow();
    log.info("Dev registry on {} stopped", uri);
  }

  /** Garbage a server can answer reads with. */
  public enum Corruption {
    /** A body cut off in the middle of a JSON document. */
    MALFORMED_JSON,
    /** Well-formed JSON with a number where a string belongs and the other way round. */
    WRONG_TYPES,
    /** A body far larger than any client limit ({@value ConsulHttpApi#HUGE_BODY_BYTES} bytes). */
    HUGE_BODY,
    /** Correct data plus fields no Consul version sends; clients must accept it. */
    UNKNOWN_FIELDS,
    /** A correct body without {@code X-Consul-Index} and the other metadata headers. */
    MISSING_INDEX_HEADER,
    /** Every instance on port 0. */
    PORT_ZERO,
    /** Every instance on port 70000. */
    PORT_OUT_OF_RANGE
  }

  /**
   * One request as the server received it.
   *
   * @param method the HTTP method
   * @param path the decoded path
   * @param query the decoded query parameters, each with its values in order
   * @param token the ACL token the request carried, or null
   */
  public record RecordedRequest(String method, String path, Map<String, List<String>> query,
      String token) {

    /** The first value of a query parameter, {@code ""} when present without value, else null. */
    public String param(String name) {
      List<String> values = query.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /** Settings of a {@link DevRegistryServer}. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private String aclToken;
    private Ticker ticker = Ticker.system();
    private Duration reaperInterval = Duration.ofSeconds(DEFAULT_REAPER_INTERVAL_SECONDS);
    private boolean jitter = true;

    private Builder() {}

    /** The address to bind; default 127.0.0.1. Anything else exposes the registry. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host must not be null");
      return this;
    }

    /** The port; default 0, an ephemeral port (see {@link #port()}). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be between 0 and 65535: was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Requires this ACL token on every endpoint but {@code /v1/status/*}; missing tokens get 403
     * {@code Permission denied...}, other tokens 403 {@code ACL not found}. Default: no ACLs.
     */
    public Builder aclToken(String aclToken) {
      if (aclToken != null && aclToken.isBlank()) {
        throw new IllegalArgumentException("aclToken must not be blank");
      }
      this.aclToken = aclToken;
      return this;
    }

    /** The clock of TTLs and the reaper; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker must not be null");
      return this;
    }

    /** How often the reaper runs; default 30 s, as in Consul. */
    public Builder reaperInterval(Duration reaperInterval) {
      Objects.requireNonNull(reaperInterval, "reaperInterval must not be null");
      if (reaperInterval.isNegative() || reaperInterval.isZero()) {
        throw new IllegalArgumentException(
            "reaperInterval must be positive: was " + reaperInterval);
      }
      this.reaperInterval = reaperInterval;
      return this;
    }

    /**
     * Whether blocked queries wait a random extra of up to wait/16, as Consul's do; default true.
     * Off makes answer times exact for tests.
     */
    public Builder jitter(boolean jitter) {
      this.jitter = jitter;
      return this;
    }

    /** Binds and starts the server. */
    public DevRegistryServer start() {
      try {
        InetAddress.getByName(host);
        return new DevRegistryServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the dev registry on " + host + ":" + port, e);
      }
    }
  }
}
