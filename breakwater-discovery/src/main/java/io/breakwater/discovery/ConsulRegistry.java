package io.breakwater.discovery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.breakwater.discovery.ConsulHttp.Response;
import io.breakwater.discovery.ConsulProblem.Kind;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Registry} backed by a Consul agent's HTTP API (or a {@link DevRegistryServer}).
 *
 * <p><b>Registration.</b> {@link #register} sends {@code PUT /v1/agent/service/register} with a
 * TTL check ({@code service:<id>}) that Consul reaps after {@link
 * Builder#deregisterCriticalServiceAfter}, then marks the check passing at once. A heartbeat
 * thread, {@code breakwater-consul-heartbeat}, started by the first registration, passes the check
 * every {@link Builder#heartbeatInterval}. When a heartbeat answers 404 or 5xx the agent has
 * forgotten the instance (typically it restarted without its data), so it is registered again and
 * a WARN says so. A registration Consul could not take because it was unreachable or failing is
 * kept and retried on every heartbeat; one it refused (400, 403) is dropped and the refusal thrown
 * as a {@link ConsulException} with Consul's own text.
 *
 * <p><b>Discovery.</b> {@link #instances} asks {@code GET /v1/health/service/<name>?passing}.
 * {@link #watch} runs one blocking-query loop per watched service on a thread named {@code
 * breakwater-consul-watch-<name>}, by the rules of Consul's documentation: an explicit {@code
 * wait}; a request timeout of wait + wait/16 (Consul's jitter) + a margin; the index starts over
 * from 0 when it goes backwards and is never sent below 1; at most one request per {@link
 * Builder#watchRateLimit} on average (bursts of two); exponential back-off after failures; and
 * listeners hear only of real changes.
 *
 * <p><b>Failures.</b> When Consul is unreachable, times out, answers an error status or garbage
 * (malformed JSON, wrong types, bodies over {@link Builder#maxResponseBytes}, a missing index,
 * ports outside 1 to 65535), lookups and watches keep the last good list of the service, which is
 * shared between them. A WARN names the problem and how long the list has been stale, once per
 * kind of problem until Consul answers well again (then an INFO); repeats go to DEBUG. Nothing of
 * this throws into a caller; a service never seen answers an empty list.
 *
 * <p>Thread-safe.
 */
public final class ConsulRegistry implements Registry {

  /** The agent address when neither the builder nor {@code CONSUL_HTTP_ADDR} gives one. */
  public static final String DEFAULT_ADDRESS = "127.0.0.1:8500";

  /** Default TTL of the health check of a registered instance: {@value} seconds. */
  public static final long DEFAULT_CHECK_TTL_SECONDS = 30;

  /** Default and minimum time after which Consul reaps a critical instance: {@value} minute. */
  public static final long DEFAULT_DEREGISTER_CRITICAL_AFTER_MINUTES = 1;

  /** Default {@code wait} of a blocking query, Consul's own default: {@value} minutes. */
  public static final long DEFAULT_WAIT_MINUTES = 5;

  /** Default maximum size of an answer: {@value} bytes (16 MiB). */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 16L * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ConsulRegistry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern META_KEY = Pattern.compile("^[a-zA-Z0-9_-]{1,128}$");
  private static final Duration MAX_WAIT = Duration.ofMinutes(10);

  private final ConsulHttp http;
  private final Settings config;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<String, Registration> registrations = new ConcurrentHashMap<>();
  // The last good list of each service, shared by lookups and watches.
  private final Map<String, Snapshot> lastGood = new ConcurrentHashMap<>();
  // Per service, the kinds of problems already logged at WARN since its last good answer.
  private final Map<String, Set<String>> warned = new ConcurrentHashMap<>();
  // Guards `watches` and `heartbeats`; never held during a request.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, ServiceWatch> watches = new HashMap<>();
  private ScheduledExecutorService heartbeats;

  private ConsulRegistry(Settings config) {
    this.config = config;
    this.ticker = config.ticker();
    this.sleeper = config.sleeper();
    this.http = new ConsulHttp(config);
  }

  /** The validated, resolved settings a registry runs with; immutable. */
  record Settings(URI baseUri, String token, SSLContext sslContext, Duration checkTtl,
      Duration heartbeatInterval, Duration deregisterAfter, Duration blockingWait,
      Duration watchTimeoutMargin, Duration requestTimeout, Duration connectTimeout,
      Duration watchRateLimit, Duration retryBackoff, Duration maxRetryBackoff,
      long maxResponseBytes, boolean staleReads, boolean automaticHeartbeats, Ticker ticker,
      Sleeper sleeper) {}

  /**
   * A builder that reads {@code CONSUL_HTTP_ADDR}, {@code CONSUL_HTTP_SSL}, {@code
   * CONSUL_HTTP_TOKEN} and {@code CONSUL_HTTP_TOKEN_FILE} for whatever it is not told.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The base URI requests go to, for example {@code http://127.0.0.1:8500}. */
  public URI address() {
    return http.base();
  }

  // ---- registration -----------------------------------------------------------------------

  @Override
  public void register(ServiceInstance instance) {
    Objects.requireNonNull(instance, "instance must not be null");
    requireOpen();
    validateMetadata(instance);
    Registration registration = new Registration(instance, config.automaticHeartbeats());
    Registration previous = registrations.put(instance.id(), registration);
    if (previous != null) {
      previous.retire();
    }
    registration.lock.lock();
    try {
      registerRemote(registration);
      log.debug("Registered {} ({}) at {} with Consul", instance.id(), instance.service(),
          instance.authority());
    } catch (ConsulProblem problem) {
      if (refused(problem)) {
        registrations.remove(instance.id(), registration);
        throw problem.toException();
      }
      log.warn("Could not register {} with Consul yet ({}); retrying at every heartbeat",
          instance.id(), problem.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("Registration of {} interrupted; retrying at every heartbeat", instance.id());
    } finally {
      registration.lock.unlock();
    }
    if (config.automaticHeartbeats()) {
      startHeartbeats();
    }
  }

  @Override
  public void deregister(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId must not be null");
    Registration registration = registrations.remove(instanceId);
    if (registration != null) {
      registration.retire();
    }
    if (closed.get()) {
      return;
    }
    try {
      deregisterRemote(instanceId);
    } catch (ConsulProblem problem) {
      if (refused(problem)) {
        throw problem.toException();
      }
      log.warn("Could not deregister {} from Consul ({}); its check goes critical after {} and"
          + " Consul removes it {} later", instanceId, problem.getMessage(),
          GoDuration.format(config.checkTtl()), GoDuration.format(config.deregisterAfter()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Passes the TTL check of one registered instance now, registering it again first if Consul
   * forgot it, exactly as a heartbeat of the background thread would.
   *
   * @return true when Consul confirmed the instance as passing
   */
  public boolean heartbeat(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId must not be null");
    Registration registration = registrations.get(instanceId);
    return registration != null && beat(registration);
  }

  /**
   * Stops the heartbeats of an instance without deregistering it, as if its process hung: Consul
   * marks it critical once the TTL passes and reaps it after {@code
   * deregisterCriticalServiceAfter}. {@link #register} again resumes them.
   *
   * @return false when the id was not registered through this registry
   */
  public boolean stopHeartbeats(String instanceId) {
    Registration registration = registrations.get(instanceId);
    if (registration == null) {
      return false;
    }
    registration.heartbeating = false;
    return true;
  }

  private void registerRemote(Registration registration)
      throws ConsulProblem, InterruptedException {
    ServiceInstance instance = registration.instance;
    ObjectNode body = JSON.createObjectNode();
    body.put("ID", instance.id());
    body.put("Name", instance.service());
    body.set("Tags", JSON.valueToTree(instance.tags()));
    body.put("Address", instance.address());
    body.put("Port", instance.port());
    body.set("Meta", JSON.valueToTree(instance.metadata()));
    ObjectNode check = body.putObject("Check");
    check.put("CheckID", checkId(instance.id()));
    check.put("TTL", GoDuration.format(config.checkTtl()));
    check.put("DeregisterCriticalServiceAfter", GoDuration.format(config.deregisterAfter()));
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a registration as JSON", e);
    }
    expectOk(put("/v1/agent/service/register", json), "PUT /v1/agent/service/register");
    pass(instance.id());
    registration.confirmed = true;
  }

  private void pass(String instanceId) throws ConsulProblem, InterruptedException {
    String path = "/v1/agent/check/pass/" + encode(checkId(instanceId)) + "?note=";
    expectOk(put(path, null), "PUT " + path);
  }

  private void deregisterRemote(String instanceId) throws ConsulProblem, InterruptedException {
    String path = "/v1/agent/service/deregister/" + encode(instanceId);
    Response response = put(path, null);
    // Current agents answer 404 for an id they do not know: it is gone either way.
    if (response.status() != 404) {
      expectOk(response, "PUT " + path);
    }
  }

  /** One heartbeat; never throws. */
  private boolean beat(Registration registration) {
    String id = registration.instance.id();
    registration.lock.lock();
    try {
      if (registration.retired) {
        return false;
      }
      if (!registration.confirmed) {
        registerRemote(registration);
        log.info("Registered {} with Consul after earlier failures", id);
        return true;
      }
      String path = "/v1/agent/check/pass/" + encode(checkId(id)) + "?note=";
      Response response = put(path, null);
      if (response.ok()) {
        recovered("heartbeat of " + id);
        return true;
      }
      if (response.status() == 404 || response.status() >= 500) {
        // 404: the agent forgot us; 5xx: it may have (older agents answer 500), or it is
        // failing. Either way register again; say so once until a heartbeat passes.
        String kind = response.status() == 404 ? "forgot" : "failed " + response.status();
        String why = response.status() == 404 ? "Consul no longer knows instance {} (heartbeat"
            + " answered {}: {}); registering it again"
            : "Heartbeat of {} answered {}: {}; registering it again in case the agent lost it";
        if (firstWarning("heartbeat of " + id, kind)) {
          log.warn(why, id, response.status(), response.text().strip());
        } else {
          log.debug(why, id, response.status(), response.text().strip());
        }
        registerRemote(registration);
        return true;
      }
      throw ConsulProblem.status("PUT " + path, response.status(), response.text());
    } catch (ConsulProblem problem) {
      if (firstWarning("heartbeat of " + id, problem.logKey())) {
        log.warn("Heartbeat of {} failed: {}; its check goes critical {} after the last success",
            id, problem.getMessage(), GoDuration.format(config.checkTtl()));
      } else {
        log.debug("Heartbeat of {} failed again: {}", id, problem.getMessage());
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      registration.lock.unlock();
    }
  }

  private void startHeartbeats() {
    lock.lock();
    try {
      if (heartbeats != null || closed.get()) {
        return;
      }
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "breakwater-consul-heartbeat");
        thread.setDaemon(true);
        return thread;
      });
      long interval = config.heartbeatInterval().toNanos();
      executor.scheduleWithFixedDelay(this::beatAll, interval, interval, TimeUnit.NANOSECONDS);
      heartbeats = executor;
    } finally {
      lock.unlock();
    }
  }

  private void beatAll() {
    for (Registration registration : registrations.values()) {
      if (registration.heartbeating && !closed.get()) {
        try {
          beat(registration);
        } catch (RuntimeException e) {
          // A scheduled task that throws never runs again; every instance would then expire.
          log.error("Heartbeat of {} failed unexpectedly", registration.instance.id(), e);
        }
      }
    }
  }

  // ---- discovery ----------------------------------------------------------------------------

  @Override
  public List<ServiceInstance> instances(String serviceName) {
    Objects.requireNonNull(serviceName, "serviceName must not be null");
    requireOpen();
    try {
      Health health = fetchHealth(serviceName, 0);
      remember(serviceName, health.instances);
      return health.instances;
    } catch (ConsulProblem problem) {
      return stale(serviceName, problem);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Snapshot last = lastGood.get(serviceName);
      return last == null ? List.of() : last.instances;
    }
  }

  @Override
  public Watch watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
    Objects.requireNonNull(serviceName, "serviceName must not be null");
    Objects.requireNonNull(listener, "listener must not be null");
    Subscriber subscriber;
    ServiceWatch watch;
    lock.lock();
    try {
      requireOpen();
      watch = watches.computeIfAbsent(serviceName, ServiceWatch::new);
      ServiceWatch owner = watch;
      Subscriber[] self = new Subscriber[1];
      subscriber = new Subscriber(serviceName, listener, () -> owner.remove(self[0]));
      self[0] = subscriber;
      watch.subscribers.add(subscriber);
      watch.start();
    } finally {
      lock.unlock();
    }
    watch.greet(subscriber);
    return subscriber;
  }

  /**
   * The names of all services in the catalog with their tags ({@code GET /v1/catalog/services}).
   *
   * @throws ConsulException when Consul does not answer well; no last good value is kept
   */
  public Map<String, List<String>> services() {
    return query("/v1/catalog/services", ConsulJson::catalogServices);
  }

  /**
   * Every registered instance of a service whatever its health ({@code GET
   * /v1/catalog/service/<name>}).
   *
   * @throws ConsulException when Consul does not answer well; no last good value is kept
   */
  public List<ServiceInstance> catalogInstances(String serviceName) {
    return query("/v1/catalog/service/" + encode(serviceName), ConsulJson::catalogService);
  }

  /**
   * The cluster leader's address ({@code GET /v1/status/leader}), empty when there is none: a
   * liveness probe that needs no ACL.
   *
   * @throws ConsulException when Consul does not answer well
   */
  public Optional<String> leader() {
    String leader = query("/v1/status/leader", ConsulJson::leader);
    return leader.isEmpty() ? Optional.empty() : Optional.of(leader);
  }

  /**
   * The Consul servers ({@code GET /v1/status/peers}).
   *
   * @throws ConsulException when Consul does not answer well
   */
  public List<String> peers() {
    return query("/v1/status/peers", ConsulJson::peers);
  }

  /**
   * The name of the agent's node ({@code GET /v1/agent/self}, needs {@code agent:read}).
   *
   * @throws ConsulException when Consul does not answer well
   */
  public String nodeName() {
    return query("/v1/agent/self", ConsulJson::nodeName);
  }

  private interface Parser<T> {
    T parse(byte[] body) throws ConsulProblem;
  }

  private <T> T query(String path, Parser<T> parser) {
    requireOpen();
    try {
      Response response = http.send("GET", path, null, config.requestTimeout());
      expectOk(response, "GET " + path);
      return parser.parse(response.body());
    } catch (ConsulProblem problem) {
      throw problem.toException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConsulException("interrupted while asking " + path, 0, null, e);
    }
  }

  private record Health(List<ServiceInstance> instances, long index) {}

  private record Snapshot(List<ServiceInstance> instances, long atNanos) {}

  /** One health query; with {@code index} above 0 a blocking one. */
  private Health fetchHealth(String service, long index)
      throws ConsulProblem, InterruptedException {
    StringBuilder path = new StringBuilder("/v1/health/service/").append(encode(service))
        .append("?passing");
    if (config.staleReads()) {
      path.append("&stale");
    }
    Duration timeout = config.requestTimeout();
    if (index != 0) {
      long waitMillis = config.blockingWait().toMillis();
      path.append("&index=").append(Long.toUnsignedString(index))
          .append("&wait=").append(waitMillis).append("ms");
      timeout = blockingTimeout();
    }
    String request = "GET " + path;
    Response response = http.send("GET", path.toString(), null, timeout);
    expectOk(response, request);
    String indexText = response.headers().firstValue("X-Consul-Index").orElse(null);
    if (indexText == null) {
      throw new ConsulProblem(Kind.MISSING_INDEX, request + " answered without X-Consul-Index");
    }
    long returned;
    try {
      returned = Long.parseUnsignedLong(indexText.trim());
    } catch (NumberFormatException e) {
      throw new ConsulProblem(Kind.MISSING_INDEX,
          request + " answered X-Consul-Index '" + indexText + "', not a number");
    }
    return new Health(ConsulJson.health(response.body(), service), returned);
  }

  /**
   * How long a blocking query may take: Consul holds it for {@code wait} and then adds up to
   * wait/16 on purpose, so any shorter timeout cuts off every quiet poll
   * (rickfast/consul-client#135); the margin covers the network and the server's own work.
   */
  Duration blockingTimeout() {
    Duration wait = config.blockingWait();
    return wait.plus(wait.dividedBy(16)).plus(config.watchTimeoutMargin());
  }

  private void remember(String service, List<ServiceInstance> instances) {
    lastGood.put(service, new Snapshot(instances, ticker.nanos()));
    recovered(service);
  }

  /**
   * Whether a problem of this kind in this scope is new since the scope last worked: one WARN
   * per kind, DEBUG for the repeats, until {@link #recovered} clears the scope.
   */
  private boolean firstWarning(String scope, String kind) {
    return warned.computeIfAbsent(scope, k -> ConcurrentHashMap.newKeySet()).add(kind);
  }

  private void recovered(String scope) {
    Set<String> kinds = warned.remove(scope);
    if (kinds != null && !kinds.isEmpty()) {
      log.info("Consul answers {} again", scope.startsWith("heartbeat") ? "the " + scope
          : "for service '" + scope + "'");
    }
  }

  /** Logs a failed lookup (once per kind) and answers the last good list. */
  private List<ServiceInstance> stale(String service, ConsulProblem problem) {
    Snapshot last = lastGood.get(service);
    String keeping = last == null
        ? "no good list of '" + service + "' yet, so it has no instances"
        : "keeping the last good list of '" + service + "' (" + last.instances.size()
            + " instances), stale for " + seconds(ticker.nanos() - last.atNanos);
    if (firstWarning(service, problem.logKey())) {
      log.warn("Consul lookup failed, {}: {}; {}", problem.kind().words(), problem.getMessage(),
          keeping);
    } else {
      log.debug("Consul lookup failed again, {}: {}; {}", problem.kind().words(),
          problem.getMessage(), keeping);
    }
    return last == null ? List.of() : last.instances;
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /**
   * The blocking-query loop of one service and the subscribers it feeds. The loop's state
   * (index, failures) lives on its thread; {@code current} and {@code version} are guarded by
   * {@code state} so that a new subscriber is greeted with exactly the list a concurrent change
   * would have replaced.
   */
  private final class ServiceWatch implements Runnable {
    final String service;
    final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    final ReentrantLock state = new ReentrantLock();
    List<ServiceInstance> current;
    long version;
    Thread thread;
    volatile boolean stopped;

    ServiceWatch(String service) {
      this.service = service;
    }

    /** Starts the loop once; called under the registry's lock. */
    void start() {
      if (thread == null) {
        String name = service.length() > 40 ? service.substring(0, 40) : service;
        thread = new Thread(this, "breakwater-consul-watch-" + name);
        thread.setDaemon(true);
        thread.start();
      }
    }

    /**
     * Hands a new subscriber the loop's current list, or before the loop's first answer the last
     * good list a lookup left, so that a watch started while Consul is down still starts from
     * what is known.
     */
    void greet(Subscriber subscriber) {
      List<ServiceInstance> list;
      long at;
      state.lock();
      try {
        list = current;
        at = version;
      } finally {
        state.unlock();
      }
      if (list == null) {
        Snapshot last = lastGood.get(service);
        list = last == null ? null : last.instances;
      }
      if (list != null) {
        subscriber.offer(at, list);
      }
    }

    void remove(Subscriber subscriber) {
      lock.lock();
      try {
        subscribers.remove(subscriber);
        if (subscribers.isEmpty() && watches.get(service) == this) {
          watches.remove(service);
          stop();
        }
      } finally {
        lock.unlock();
      }
    }

    void stop() {
      stopped = true;
      if (thread != null) {
        thread.interrupt();
      }
    }

    @Override
    public void run() {
      RateLimiter limiter =
          new RateLimiter(config.watchRateLimit().toNanos(), ticker, sleeper);
      long index = 0;
      int failures = 0;
      while (!stopped) {
        try {
          limiter.acquire();
          Health health = fetchHealth(service, index);
          // Rule 2: an index of 0 is never sent back; 1 is always safe.
          long next = Math.max(1, health.index);
          if (index != 0 && Long.compareUnsigned(next, index) < 0) {
            // Rule 1: the index went backwards (snapshot restore, server change): start over.
            log.debug("X-Consul-Index of '{}' went back from {} to {}; starting over", service,
                Long.toUnsignedString(index), Long.toUnsignedString(next));
            next = 0;
          }
          index = next;
          failures = 0;
          remember(service, health.instances);
          publish(health.instances);
        } catch (ConsulProblem problem) {
          failures++;
          stale(service, problem);
          if (!sleepQuietly(backoff(failures))) {
            return;
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // Our own bug; the loop must survive it or the watch would stop silently.
          failures++;
          log.error("Watch of '{}' failed unexpectedly", service, e);
          if (!sleepQuietly(backoff(failures))) {
            return;
          }
        }
      }
    }

    private void publish(List<ServiceInstance> instances) {
      long at;
      state.lock();
      try {
        // Rule 4: a wake-up without a change (timeout, idempotent write) tells nobody.
        if (instances.equals(current)) {
          return;
        }
        current = instances;
        at = ++version;
      } finally {
        state.unlock();
      }
      for (Subscriber subscriber : subscribers) {
        subscriber.offer(at, instances);
      }
    }

    private boolean sleepQuietly(long nanos) {
      try {
        sleeper.sleep(nanos);
        return !stopped;
      } catch (InterruptedException e) {
        return false;
      }
    }
  }

  long backoff(int failures) {
    long base = config.retryBackoff().toNanos();
    long max = config.maxRetryBackoff().toNanos();
    int doublings = Math.min(failures - 1, 30);
    long delay = base << doublings;
    return delay <= 0 || delay > max ? max : delay;
  }

  // ---- lifecycle and plumbing ---------------------------------------------------------------

  /**
   * Deregisters every instance registered through this registry, stops heartbeats and watches,
   * and releases the HTTP client. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ScheduledExecutorService heartbeatsToStop;
    List<ServiceWatch> watchesToStop;
    lock.lock();
    try {
      heartbeatsToStop = heartbeats;
      heartbeats = null;
      watchesToStop = new ArrayList<>(watches.values());
      watches.clear();
    } finally {
      lock.unlock();
    }
    if (heartbeatsToStop != null) {
      heartbeatsToStop.shutdownNow();
    }
    watchesToStop.forEach(ServiceWatch::stop);
    for (Registration registration : new ArrayList<>(registrations.values())) {
      registrations.remove(registration.instance.id());
      registration.retire();
      try {
        deregisterRemote(registration.instance.id());
      } catch (ConsulProblem problem) {
        log.warn("Could not deregister {} on close ({}); Consul reaps it after its TTL",
            registration.instance.id(), problem.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (ServiceWatch watch : watchesToStop) {
      watch.subscribers.forEach(Subscriber::close);
      if (watch.thread != null) {
        try {
          watch.thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    http.close();
  }

  private Response put(String path, byte[] body) throws ConsulProblem, InterruptedException {
    return http.send("PUT", path, body, config.requestTimeout());
  }

  private static void expectOk(Response response, String request) throws ConsulProblem {
    if (!response.ok()) {
      throw ConsulProblem.status(request, response.status(), response.text());
    }
  }

  /** Consul said no to the request itself (400, 403...): retrying the same request is useless. */
  private static boolean refused(ConsulProblem problem) {
    int status = problem.status();
    return problem.kind() == Kind.HTTP_ERROR && status >= 400 && status < 500 && status != 404
        && status != 408 && status != 429;
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("ConsulRegistry is closed");
    }
  }

  private static String checkId(String instanceId) {
    return "service:" + instanceId;
  }

  private static void validateMetadata(ServiceInstance instance) {
    Map<String, String> metadata = instance.metadata();
    if (metadata.size() > 64) {
      throw new IllegalArgumentException("metadata of " + instance.id()
          + " must have at most 64 pairs for Consul: was " + metadata.size());
    }
    for (Map.Entry<String, String> pair : metadata.entrySet()) {
      String key = pair.getKey();
      if (!META_KEY.matcher(key).matches() || key.startsWith("consul-")) {
        throw new IllegalArgumentException("metadata key of " + instance.id() + " must be 1 to 128"
            + " letters, digits, '_' or '-' and not start with 'consul-' for Consul: was '" + key
            + "'");
      }
      if (pair.getValue().length() > 512) {
        throw new IllegalArgumentException("metadata value '" + key + "' of " + instance.id()
            + " must be at most 512 characters for Consul: was " + pair.getValue().length());
      }
    }
  }

  /** Percent-encodes one path segment: everything but RFC 3986's unreserved characters. */
  static String encode(String segment) {
    StringBuilder out = new StringBuilder();
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** An instance registered through this registry, with the lock serializing its requests. */
  private static final class Registration {
    final ServiceInstance instance;
    // Serializes register, heartbeat and retire for one instance, so that a heartbeat finding
    // the agent forgetful cannot register again an instance that was just deregistered.
    final ReentrantLock lock = new ReentrantLock();
    volatile boolean confirmed;
    volatile boolean heartbeating;
    volatile boolean retired;

    Registration(ServiceInstance instance, boolean heartbeating) {
      this.instance = instance;
      this.heartbeating = heartbeating;
    }

    void retire() {
      lock.lock();
      try {
        retired = true;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Settings of a {@link ConsulRegistry}. Not thread-safe. {@link #build} resolves the address and
   * token from the environment and validates everything before anything is created, so a bad
   * setting leaves nothing half started.
   */
  public static final class Builder {
    private String address;
    private String token;
    private Function<String, String> environment = System::getenv;
    private SSLContext sslContext;
    private Duration checkTtl = Duration.ofSeconds(DEFAULT_CHECK_TTL_SECONDS);
    private Duration heartbeatInterval;
    private Duration deregisterAfter =
        Duration.ofMinutes(DEFAULT_DEREGISTER_CRITICAL_AFTER_MINUTES);
    private Duration blockingWait = Duration.ofMinutes(DEFAULT_WAIT_MINUTES);
    private Duration watchTimeoutMargin = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration watchRateLimit = Duration.ofSeconds(1);
    private Duration retryBackoff = Duration.ofSeconds(1);
    private Duration maxRetryBackoff = Duration.ofSeconds(60);
    private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    private boolean staleReads;
    private boolean automaticHeartbeats = true;
    private Ticker ticker = Ticker.system();
    private Sleeper sleeper = Sleeper.system();

    private Builder() {}

    /**
     * The agent: {@code host:port}, {@code http://host:port} or {@code https://host:port/prefix}
     * (a path is a prefix for a reverse proxy). Default: {@code CONSUL_HTTP_ADDR}, else {@value
     * #DEFAULT_ADDRESS}. Without a scheme the port defaults to 8500, with one to the scheme's.
     */
    public Builder address(String address) {
      this.address = Objects.requireNonNull(address, "address must not be null");
      return this;
    }

    /**
     * The ACL token sent as {@code X-Consul-Token}. Default: the trimmed content of the file
     * named by {@code CONSUL_HTTP_TOKEN_FILE} when not empty, else {@code CONSUL_HTTP_TOKEN},
     * else none.
     */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token must not be null");
      return this;
    }

    /** Where {@code CONSUL_HTTP_*} variables are read; default {@link System#getenv(String)}. */
    public Builder environment(Function<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment must not be null");
      return this;
    }

    /** TLS settings for an {@code https} address; default the JVM's. */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext must not be null");
      return this;
    }

    /** TTL of an instance's health check; default 30 s. */
    public Builder checkTtl(Duration checkTtl) {
      this.checkTtl = Objects.requireNonNull(checkTtl, "checkTtl must not be null");
      return this;
    }

    /** How often heartbeats pass the check; default a third of the check TTL. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval =
          Objects.requireNonNull(heartbeatInterval, "heartbeatInterval must not be null");
      return this;
    }

    /**
     * How long an instance may stay critical before Consul removes it; default and minimum 1
     * minute, Consul's own minimum.
     */
    public Builder deregisterCriticalServiceAfter(Duration after) {
      this.deregisterAfter =
          Objects.requireNonNull(after, "deregisterCriticalServiceAfter must not be null");
      return this;
    }

    /**
     * The {@code wait} sent with each blocking query of a watch; default 5 minutes, at most 10
     * (Consul's cap).
     */
    public Builder blockingWait(Duration blockingWait) {
      this.blockingWait = Objects.requireNonNull(blockingWait, "blockingWait must not be null");
      return this;
    }

    /** Added to blockingWait + blockingWait/16 for a blocking query's timeout; default 5 s. */
    public Builder watchTimeoutMargin(Duration margin) {
      this.watchTimeoutMargin =
          Objects.requireNonNull(margin, "watchTimeoutMargin must not be null");
      return this;
    }

    /** Timeout of every request but blocking queries; default 10 s. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout =
          Objects.requireNonNull(requestTimeout, "requestTimeout must not be null");
      return this;
    }

    /** Timeout of opening a connection; default 5 s. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout =
          Objects.requireNonNull(connectTimeout, "connectTimeout must not be null");
      return this;
    }

    /**
     * The average interval between two blocking queries of one watch when every answer is a
     * change (bursts of two pass at once); default 1 s.
     */
    public Builder watchRateLimit(Duration interval) {
      this.watchRateLimit = Objects.requireNonNull(interval, "watchRateLimit must not be null");
      return this;
    }

    /** The first pause of a watch after a failure, doubled per failure; default 1 s. */
    public Builder retryBackoff(Duration retryBackoff) {
      this.retryBackoff = Objects.requireNonNull(retryBackoff, "retryBackoff must not be null");
      return this;
    }

    /** The longest pause of a watch after failures; default 60 s. */
    public Builder maxRetryBackoff(Duration maxRetryBackoff) {
      this.maxRetryBackoff =
          Objects.requireNonNull(maxRetryBackoff, "maxRetryBackoff must not be null");
      return this;
    }

    /** The largest answer read; larger ones count as garbage. Default 16 MiB. */
    public Builder maxResponseBytes(long maxResponseBytes) {
      this.maxResponseBytes = maxResponseBytes;
      return this;
    }

    /**
     * Whether health queries may be answered by any server ({@code ?stale}), which keeps them
     * working while the cluster has no leader; default false (leader-consistent reads).
     */
    public Builder staleReads(boolean staleReads) {
      this.staleReads = staleReads;
      return this;
    }

    /**
     * Whether a background thread passes the checks of registered instances; default true. With
     * false only {@link ConsulRegistry#heartbeat} does, for tests that drive time themselves.
     */
    public Builder automaticHeartbeats(boolean automaticHeartbeats) {
      this.automaticHeartbeats = automaticHeartbeats;
      return this;
    }

    /** A fake clock and a sleeper that moves it, for tests of back-off and staleness. */
    Builder clock(Ticker ticker, Sleeper sleeper) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** Resolves the environment, validates every setting and creates the registry. */
    public ConsulRegistry build() {
      URI uri = resolveAddress();
      String resolved = resolveToken();
      requirePositive("checkTtl", checkTtl);
      Duration interval = heartbeatInterval != null ? heartbeatInterval : checkTtl.dividedBy(3);
      requirePositive("heartbeatInterval", interval);
      if (interval.compareTo(checkTtl) >= 0) {
        throw new IllegalArgumentException("heartbeatInterval must be shorter than checkTtl ("
            + checkTtl + "): was " + interval);
      }
      if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("deregisterCriticalServiceAfter must be at least 1"
            + " minute, Consul's minimum: was " + deregisterAfter);
      }
      if (blockingWait.compareTo(Duration.ofMillis(1)) < 0
          || blockingWait.compareTo(MAX_WAIT) > 0) {
        throw new IllegalArgumentException(
            "blockingWait must be between 1 ms and 10 minutes: was " + blockingWait);
      }
      if (watchTimeoutMargin.isNegative()) {
        throw new IllegalArgumentException(
            "watchTimeoutMargin must not be negative: was " + watchTimeoutMargin);
      }
      requirePositive("requestTimeout", requestTimeout);
      requirePositive("connectTimeout", connectTimeout);
      requirePositive("watchRateLimit", watchRateLimit);
      requirePositive("retryBackoff", retryBackoff);
      if (maxRetryBackoff.compareTo(retryBackoff) < 0) {
        throw new IllegalArgumentException("maxRetryBackoff must not be shorter than retryBackoff ("
            + retryBackoff + "): was " + maxRetryBackoff);
      }
      if (maxResponseBytes < 1024) {
        throw new IllegalArgumentException(
            "maxResponseBytes must be at least 1024: was " + maxResponseBytes);
      }
      return new ConsulRegistry(new Settings(uri, resolved, sslContext, checkTtl, interval,
          deregisterAfter, blockingWait, watchTimeoutMargin, requestTimeout, connectTimeout,
          watchRateLimit, retryBackoff, maxRetryBackoff, maxResponseBytes, staleReads,
          automaticHeartbeats, ticker, sleeper));
    }

    private URI resolveAddress() {
      String source = "address";
      String text = address;
      if (text == null) {
        text = environment.apply("CONSUL_HTTP_ADDR");
        source = "CONSUL_HTTP_ADDR";
      }
      if (text == null || text.isBlank()) {
        text = DEFAULT_ADDRESS;
        source = "address";
      }
      text = text.trim();
      boolean forceHttps = isTrue(environment.apply("CONSUL_HTTP_SSL"));
      String scheme = "http";
      boolean explicitScheme = false;
      int separator = text.indexOf("://");
      if (separator >= 0) {
        scheme = text.substring(0, separator).toLowerCase(Locale.ROOT);
        explicitScheme = true;
        if (scheme.equals("unix")) {
          throw new IllegalArgumentException(source + " must be an http or https address; unix"
              + " sockets are not supported: was " + text);
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
          throw new IllegalArgumentException(source + ": Unknown protocol scheme: " + scheme);
        }
        text = text.substring(separator + 3);
      }
      if (forceHttps) {
        scheme = "https";
      }
      URI parsed;
      try {
        parsed = new URI(scheme + "://" + text);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(source + " is not a valid address: was " + text, e);
      }
      String authority = parsed.getRawAuthority();
      boolean hasPort = authority != null && authority.lastIndexOf(':') > authority.indexOf(']');
      if (parsed.getHost() == null || parsed.getPort() == 0 || parsed.getPort() > 65_535) {
        if (hasPort && authority.lastIndexOf(':') > 0) {
          throw new IllegalArgumentException(
              source + " must have a port from 1 to 65535: was " + text);
        }
        throw new IllegalArgumentException(source + " must name a host: was " + text);
      }
      if (parsed.getRawQuery() != null || parsed.getRawFragment() != null
          || parsed.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            source + " must not carry user info, a query or a fragment: was " + text);
      }
      int port = parsed.getPort();
      if (port < 0) {
        port = explicitScheme ? (scheme.equals("https") ? 443 : 80) : 8500;
      }
      String prefix = parsed.getRawPath() == null ? "" : parsed.getRawPath();
      while (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      String host = parsed.getHost();
      return URI.create(scheme + "://" + host + ":" + port + prefix);
    }

    private String resolveToken() {
      if (token != null) {
        return token.isEmpty() ? null : checkedToken(token, "token");
      }
      String file = environment.apply("CONSUL_HTTP_TOKEN_FILE");
      if (file != null && !file.isBlank()) {
        String content;
        try {
          content = Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
          throw new IllegalArgumentException(
              "CONSUL_HTTP_TOKEN_FILE names a file that cannot be read: was " + file, e);
        }
        if (!content.isEmpty()) {
          return checkedToken(content, "the token in CONSUL_HTTP_TOKEN_FILE (" + file.trim()
              + ")");
        }
      }
      String fromEnv = environment.apply("CONSUL_HTTP_TOKEN");
      return fromEnv == null || fromEnv.isBlank() ? null
          : checkedToken(fromEnv.trim(), "CONSUL_HTTP_TOKEN");
    }

    /**
     * A token goes into an HTTP header: only visible ASCII. The error names where the token came
     * from and what is wrong with it, never the token itself (it is a secret).
     */
    private static String checkedToken(String candidate, String source) {
      for (int i = 0; i < candidate.length(); i++) {
        char c = candidate.charAt(i);
        if (c < 0x21 || c > 0x7e) {
          String what = c == '\n' || c == '\r' ? "a line break (more than one line?)"
              : c == ' ' || c == '\t' ? "white space" : "a character outside visible ASCII";
          throw new IllegalArgumentException(source + " must be one ACL token of visible ASCII "
              + "characters, but holds " + what + " at position " + i
              + " (the token is not shown)");
        }
      }
      return candidate;
    }

    private static boolean isTrue(String value) {
      return value != null && (value.equals("1") || value.equalsIgnoreCase("true")
          || value.equalsIgnoreCase("t"));
    }

    private static void requirePositive(String name, Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: was " + value);
      }
    }
  }
}
