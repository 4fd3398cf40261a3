package io.breakwater.discovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.breakwater.discovery.AgentState.CheckRequest;
import io.breakwater.discovery.AgentState.CheckView;
import io.breakwater.discovery.AgentState.HealthEntry;
import io.breakwater.discovery.AgentState.Service;
import io.breakwater.discovery.AgentState.TtlUpdate;
import io.breakwater.discovery.DevRegistryServer.Corruption;
import io.breakwater.discovery.DevRegistryServer.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the dev registry: routing, verbs, ACLs, query parameters, blocking, headers,
 * Consul's JSON shapes and error texts, and the fault switches of {@link DevRegistryServer}.
 */
final class ConsulHttpApi implements HttpHandler {

  static final int RECORDED = 10_000;
  static final int HUGE_BODY_BYTES = 32 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ConsulHttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NODE_NAME = "breakwater-dev";
  private static final String NODE_ID = "6d1b5e4a-0b1c-4d0e-9a53-b2e5a1f3c0de";
  private static final String NODE_ADDRESS = "127.0.0.1";
  private static final String DATACENTER = "dc1";
  private static final String LEADER = "127.0.0.1:8300";
  private static final String ANONYMOUS_ACCESSOR = "00000000-0000-0000-0000-000000000002";
  private static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);
  private static final Duration MAX_WAIT = Duration.ofMinutes(10);
  private static final Duration MIN_DEREGISTER_AFTER = Duration.ofMinutes(1);
  private static final Pattern META_KEY = Pattern.compile("^[a-zA-Z0-9_-]+$");
  private static final Set<String> DATA_MAPS = Set.of("Meta", "NodeMeta", "ServiceMeta",
      "TaggedAddresses", "ServiceTaggedAddresses", "Definition");
  private static final Set<String> STATUSES =
      Set.of(AgentState.PASSING, AgentState.WARNING, AgentState.CRITICAL);

  private final AgentState state;
  private final Ticker ticker;
  private final String aclToken;
  private final boolean jitter;
  // Fault switches, flipped by tests from other threads.
  volatile Failure failure;
  volatile boolean indexZero;
  volatile long readDelayNanos;
  volatile Corruption corruption;
  volatile boolean legacyErrors;
  private volatile long leaderLostAt = Long.MIN_VALUE;
  private volatile boolean leaderLost;
  // Guarded by itself.
  private final ArrayDeque<RecordedRequest> recorded = new ArrayDeque<>();

  record Failure(int status, String body) {}

  ConsulHttpApi(AgentState state, Ticker ticker, String aclToken, boolean jitter) {
    this.state = state;
    this.ticker = ticker;
    this.aclToken = aclToken;
    this.jitter = jitter;
  }

  void setLeaderLost(boolean lost) {
    if (lost && !leaderLost) {
      leaderLostAt = ticker.nanos();
    }
    leaderLost = lost;
  }

  List<RecordedRequest> requests() {
    synchronized (recorded) {
      return List.copyOf(recorded);
    }
  }

  void clearRequests() {
    synchronized (recorded) {
      recorded.clear();
    }
  }

  /** A reply that ends request handling early. */
  private static final class Reply extends Exception {
    final int status;
    final String body;

    Reply(int status, String body) {
      super(body, null, false, false);
      this.status = status;
      this.body = body;
    }
  }

  private interface Endpoint {
    void handle(Call call) throws Reply, IOException, InterruptedException;
  }

  private record Route(String path, boolean prefix, String method, Endpoint endpoint) {}

  private final List<Route> routes = List.of(
      new Route("/v1/agent/service/register", false, "PUT", this::register),
      new Route("/v1/agent/service/deregister/", true, "PUT", this::deregister),
      new Route("/v1/agent/check/pass/", true, "PUT", c -> ttl(c, AgentState.PASSING)),
      new Route("/v1/agent/check/warn/", true, "PUT", c -> ttl(c, AgentState.WARNING)),
      new Route("/v1/agent/check/fail/", true, "PUT", c -> ttl(c, AgentState.CRITICAL)),
      new Route("/v1/agent/check/update/", true, "PUT", this::ttlUpdate),
      new Route("/v1/health/service/", true, "GET", this::healthService),
      new Route("/v1/catalog/service/", true, "GET", this::catalogService),
      new Route("/v1/catalog/services", false, "GET", this::catalogServices),
      new Route("/v1/agent/services", false, "GET", this::agentServices),
      new Route("/v1/agent/checks", false, "GET", this::agentChecks),
      new Route("/v1/agent/self", false, "GET", this::agentSelf),
      new Route("/v1/status/leader", false, "GET", this::statusLeader),
      new Route("/v1/status/peers", false, "GET", this::statusPeers));

  /** One request in progress. */
  private final class Call {
    final HttpExchange exchange;
    final String rest;
    final Map<String, List<String>> query;
    final String token;

    Call(HttpExchange exchange, String rest, Map<String, List<String>> query) {
      this.exchange = exchange;
      this.rest = rest;
      this.query = query;
      this.token = token(exchange, query);
    }

    String param(String name) {
      List<String> values = query.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    boolean has(String name) {
      return query.containsKey(name);
    }

    byte[] body() throws IOException {
      try (InputStream in = exchange.getRequestBody()) {
        return in.readAllBytes();
      }
    }

    void requireToken(String permission, String resource) throws Reply {
      if (aclToken == null || aclToken.equals(token)) {
        return;
      }
      if (token != null && !token.isEmpty()) {
        throw new Reply(403, "ACL not found");
      }
      throw new Reply(403, "Permission denied: token with AccessorID '" + ANONYMOUS_ACCESSOR
          + "' lacks permission '" + permission + "' on \"" + resource + "\"");
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("X-Consul-Default-ACL-Policy",
          aclToken == null ? "allow" : "deny");
      String path = exchange.getRequestURI().getPath();
      Map<String, List<String>> query = parseQuery(exchange.getRequestURI().getRawQuery());
      record(exchange, path, query);
      Route route = route(path);
      if (route == null) {
        send(exchange, 404, "Invalid URL path: not a recognized HTTP API endpoint\n");
        return;
      }
      String allow = "OPTIONS," + route.method;
      if (exchange.getRequestMethod().equals("OPTIONS")) {
        exchange.getResponseHeaders().set("Allow", allow);
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      if (!exchange.getRequestMethod().equals(route.method)) {
        exchange.getResponseHeaders().set("Allow", allow);
        send(exchange, 405, "method " + exchange.getRequestMethod() + " not allowed");
        return;
      }
      Failure injected = failure;
      if (injected != null) {
        send(exchange, injected.status, injected.body);
        return;
      }
      String rest = route.prefix ? path.substring(route.path.length()) : "";
      try {
        route.endpoint.handle(new Call(exchange, rest, query));
      } catch (Reply reply) {
        send(exchange, reply.status, reply.body);
      }
    } catch (InterruptedException e) {
      // The server is shutting down; the exchange is closed above.
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client went away, for example after reading as much of a huge body as it wanted.
      log.debug("Dev registry could not answer {}: {}", exchange.getRequestURI(), e.toString());
    } catch (RuntimeException e) {
      log.error("Dev registry failed on {}", exchange.getRequestURI(), e);
      try {
        send(exchange, 500, "internal error: " + e);
      } catch (IOException | RuntimeException ignored) {
        // Headers were already sent; closing the exchange is all that is left.
      }
    }
  }

  private Route route(String path) {
    for (Route route : routes) {
      if (route.prefix ? path.startsWith(route.path) : path.equals(route.path)) {
        return route;
      }
    }
    return null;
  }

  // ---- writes -----------------------------------------------------------------------------

  private void register(Call call) throws Reply, IOException {
    JsonNode root = decode(call.body());
    if (!root.isObject()) {
      throw new Reply(400, "Request decode failed: json: cannot unmarshal "
          + root.getNodeType().toString().toLowerCase(Locale.ROOT) + " into a service definition");
    }
    Map<String, JsonNode> fields = fields(root);
    String name = text(fields, "Name", "");
    if (name.isEmpty()) {
      throw new Reply(400, "Missing service name");
    }
    String id = text(fields, "ID", "");
    if (id.isEmpty()) {
      id = name;
    }
    call.requireToken("service:write", name);
    String address = text(fields, "Address", "");
    if (address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]")) {
      throw new Reply(400, "Invalid service address");
    }
    int port = integer(fields, "Port", 0);
    List<String> tags = strings(fields, "Tags");
    Map<String, String> meta = stringMap(fields, "Meta");
    validateMeta(meta);
    int passingWeight = 1;
    int warningWeight = 1;
    JsonNode weights = fields.get("weights");
    if (weights != null && !weights.isNull()) {
      if (!weights.isObject()) {
        throw decodeFailure("Weights must be an object");
      }
      Map<String, JsonNode> w = fields(weights);
      passingWeight = integer(w, "Passing", 1);
      warningWeight = integer(w, "Warning", 1);
      if (passingWeight < 1) {
        throw new Reply(400, "Invalid Weights: Passing must be greater than 0");
      }
      if (warningWeight < 0) {
        throw new Reply(400, "Invalid Weights: Warning must be greater than or equal to 0");
      }
    }
    boolean tagOverride = bool(fields, "EnableTagOverride");

    List<JsonNode> checkNodes = new ArrayList<>();
    JsonNode check = fields.get("check");
    if (check != null && !check.isNull()) {
      checkNodes.add(check);
    }
    JsonNode checkArray = fields.get("checks");
    if (checkArray != null && !checkArray.isNull()) {
      if (!checkArray.isArray()) {
        throw decodeFailure("Checks must be an array");
      }
      checkArray.forEach(checkNodes::add);
    }
    List<CheckRequest> checks = new ArrayList<>();
    int position = 0;
    for (JsonNode node : checkNodes) {
      position++;
      CheckRequest request = checkRequest(node, id, name, checkNodes.size() > 1 ? position : 0);
      if (request != null) {
        checks.add(request);
      }
    }
    Service service = new Service(id, name, tags, address, port, meta, passingWeight,
        warningWeight, tagOverride, 0, 0);
    String replace = call.param("replace-existing-checks");
    boolean replaceExisting = replace != null && (replace.isEmpty() || parseBool(replace));
    state.register(service, checks, replaceExisting);
    call.exchange.sendResponseHeaders(200, -1);
  }

  private CheckRequest checkRequest(JsonNode node, String serviceId, String serviceName,
      int position) throws Reply {
    if (!node.isObject()) {
      throw decodeFailure("a check must be an object");
    }
    Map<String, JsonNode> fields = fields(node);
    String checkId = text(fields, "CheckID", text(fields, "ID", ""));
    long ttl = duration(fields, "TTL");
    long interval = duration(fields, "Interval");
    long timeout = duration(fields, "Timeout");
    long deregisterAfter = duration(fields, "DeregisterCriticalServiceAfter");
    String type = checkType(fields);
    boolean empty = type == null && ttl == 0 && interval == 0
        && text(fields, "Name", "").isEmpty() && checkId.isEmpty();
    if (empty) {
      return null;
    }
    if (interval > 0 && ttl > 0) {
      throw new Reply(400, "Invalid check: Interval and TTL cannot both be specified");
    }
    boolean needsInterval = type != null && !type.equals("alias") && !type.equals("docker");
    if (needsInterval && interval <= 0) {
      throw new Reply(400, "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP,"
          + " UDP or OSService checks");
    }
    if (type == null) {
      if (ttl <= 0) {
        throw new Reply(400, "Invalid check: TTL must be > 0 for TTL checks");
      }
      type = "ttl";
    }
    String status = text(fields, "Status", "");
    if (!status.isEmpty() && !STATUSES.contains(status)) {
      throw new Reply(400, "Status for checks must 'passing', 'warning', 'critical'");
    }
    if (deregisterAfter > 0 && deregisterAfter < MIN_DEREGISTER_AFTER.toNanos()) {
      // Consul raises it to its minimum rather than refusing the registration.
      deregisterAfter = MIN_DEREGISTER_AFTER.toNanos();
    }
    if (checkId.isEmpty()) {
      checkId = "service:" + serviceId + (position > 0 ? ":" + position : "");
    }
    String name = text(fields, "Name", "");
    if (name.isEmpty()) {
      name = "Service '" + serviceName + "' check";
    }
    return new CheckRequest(checkId, name, type, status.isEmpty() ? null : status,
        text(fields, "Notes", ""), ttl, deregisterAfter,
        interval > 0 ? GoDuration.format(Duration.ofNanos(interval)) : "",
        timeout > 0 ? GoDuration.format(Duration.ofNanos(timeout)) : "");
  }

  private static String checkType(Map<String, JsonNode> fields) {
    String[][] kinds = {{"http", "http"}, {"tcp", "tcp"}, {"udp", "udp"}, {"grpc", "grpc"},
        {"h2ping", "h2ping"}, {"osservice", "os_service"}, {"args", "script"},
        {"scriptargs", "script"}, {"dockercontainerid", "docker"}, {"aliasservice", "alias"},
        {"aliasnode", "alias"}};
    for (String[] kind : kinds) {
      JsonNode value = fields.get(kind[0]);
      if (value != null && !value.isNull() && !(value.isTextual() && value.asText().isEmpty())
          && !(value.isArray() && value.isEmpty())) {
        return kind[1];
      }
    }
    return null;
  }

  private static void validateMeta(Map<String, String> meta) throws Reply {
    if (meta.size() > 64) {
      throw new Reply(400, "Invalid Service Meta: more than 64 key/value pairs");
    }
    for (Map.Entry<String, String> pair : meta.entrySet()) {
      String key = pair.getKey();
      String problem = null;
      if (key.length() > 128) {
        problem = "key is longer than 128 characters";
      } else if (!META_KEY.matcher(key).matches()) {
        problem = "key contains invalid characters";
      } else if (key.startsWith("consul-")) {
        problem = "key prefix 'consul-' is reserved for internal use";
      } else if (pair.getValue().length() > 512) {
        problem = "value is longer than 512 characters";
      }
      if (problem != null) {
        throw new Reply(400, "Invalid Service Meta: pair ('" + key + "'): " + problem);
      }
    }
  }

  private void deregister(Call call) throws Reply, IOException {
    String id = call.rest;
    call.requireToken("service:write", id);
    if (!state.deregister(id) && !legacyErrors) {
      throw new Reply(404, "Unknown service ID \"" + id
          + "\". Ensure that the service ID is passed, not the service name.");
    }
    call.exchange.sendResponseHeaders(200, -1);
  }

  private void ttl(Call call, String status) throws Reply, IOException {
    String note = call.param("note");
    updateCheck(call, call.rest, status, note == null ? "" : note);
  }

  private void ttlUpdate(Call call) throws Reply, IOException {
    JsonNode root = decode(call.body());
    if (!root.isObject()) {
      throw decodeFailure("the body must be an object");
    }
    Map<String, JsonNode> fields = fields(root);
    String status = text(fields, "Status", "");
    if (!STATUSES.contains(status)) {
      throw new Reply(400, "Invalid check status: '" + status + "'");
    }
    updateCheck(call, call.rest, status, text(fields, "Output", ""));
  }

  private void updateCheck(Call call, String checkId, String status, String output)
      throws Reply, IOException {
    call.requireToken("service:write", checkId);
    TtlUpdate result = state.updateTtl(checkId, status, output);
    if (result == TtlUpdate.UNKNOWN_CHECK && !legacyErrors) {
      throw new Reply(404, "Unknown check ID \"" + checkId
          + "\". Ensure that the check ID is passed, not the check name.");
    }
    if (result != TtlUpdate.UPDATED) {
      throw new Reply(500, "CheckID \"" + checkId + "\" does not have associated TTL");
    }
    call.exchange.sendResponseHeaders(200, -1);
  }

  // ---- reads ------------------------------------------------------------------------------

  private void healthService(Call call) throws Reply, IOException, InterruptedException {
    String name = call.rest;
    if (name.isEmpty()) {
      throw new Reply(400, "Missing service name");
    }
    boolean passingOnly = false;
    if (call.has("passing")) {
      String value = call.param("passing");
      if (value.isEmpty()) {
        passingOnly = true;
      } else {
        try {
          passingOnly = parseBoolStrict(value);
        } catch (IllegalArgumentException e) {
          throw new Reply(400, "Invalid value for ?passing");
        }
      }
    }
    call.requireToken("service:read", name);
    List<String> tags = call.query.getOrDefault("tag", List.of());
    boolean passing = passingOnly;
    blockingRead(call, s -> s.serviceIndex(name), s -> {
      ArrayNode array = JSON.createArrayNode();
      for (HealthEntry entry : s.health(name)) {
        boolean healthy = entry.checks().stream()
            .allMatch(c -> c.status().equals(AgentState.PASSING));
        if ((passing && !healthy) || !entry.service().tags().containsAll(tags)) {
          continue;
        }
        ObjectNode item = array.addObject();
        item.set("Node", nodeJson());
        item.set("Service", serviceJson(entry.service()));
        ArrayNode checks = item.putArray("Checks");
        entry.checks().forEach(c -> checks.add(checkJson(c)));
        checks.add(serfHealthJson());
      }
      return array;
    });
  }

  private void catalogService(Call call) throws Reply, IOException, InterruptedException {
    String name = call.rest;
    if (name.isEmpty()) {
      throw new Reply(400, "Missing service name");
    }
    call.requireToken("service:read", name);
    List<String> tags = call.query.getOrDefault("tag", List.of());
    blockingRead(call, s -> s.serviceIndex(name), s -> {
      ArrayNode array = JSON.createArrayNode();
      for (HealthEntry entry : s.health(name)) {
        Service service = entry.service();
        if (!service.tags().containsAll(tags)) {
          continue;
        }
        ObjectNode item = array.addObject();
        item.put("ID", NODE_ID);
        item.put("Node", NODE_NAME);
        item.put("Address", NODE_ADDRESS);
        item.put("Datacenter", DATACENTER);
        item.set("TaggedAddresses", taggedAddresses());
        item.putObject("NodeMeta");
        item.put("ServiceKind", "");
        item.put("ServiceID", service.id());
        item.put("ServiceName", service.name());
        item.set("ServiceTags", JSON.valueToTree(service.tags()));
        item.put("ServiceAddress", service.address());
        item.set("ServiceWeights", weightsJson(service));
        item.set("ServiceMeta", JSON.valueToTree(service.meta()));
        item.put("ServicePort", service.port());
        item.put("ServiceEnableTagOverride", service.enableTagOverride());
        item.put("CreateIndex", service.createIndex());
        item.put("ModifyIndex", service.modifyIndex());
      }
      return array;
    });
  }

  private void catalogServices(Call call) throws Reply, IOException, InterruptedException {
    call.requireToken("service:read", "");
    blockingRead(call, AgentState::servicesTableIndex,
        s -> (JsonNode) JSON.valueToTree(s.serviceTags()));
  }

  private void agentServices(Call call) throws Reply, IOException, InterruptedException {
    call.requireToken("service:read", "");
    ObjectNode result = read(s -> {
      ObjectNode map = JSON.createObjectNode();
      for (Service service : s.services().values()) {
        ObjectNode item = map.putObject(service.id());
        item.put("ID", service.id());
        item.put("Service", service.name());
        item.set("Tags", JSON.valueToTree(service.tags()));
        item.set("Meta", JSON.valueToTree(service.meta()));
        item.put("Port", service.port());
        item.put("Address", service.address());
        item.set("Weights", weightsJson(service));
        item.put("EnableTagOverride", service.enableTagOverride());
        item.put("Datacenter", DATACENTER);
      }
      return map;
    });
    sendJson(call.exchange, 200, result);
  }

  private void agentChecks(Call call) throws Reply, IOException, InterruptedException {
    call.requireToken("node:read", NODE_NAME);
    ObjectNode result = read(s -> {
      ObjectNode map = JSON.createObjectNode();
      s.checks().forEach(c -> map.set(c.id(), checkJson(c)));
      return map;
    });
    sendJson(call.exchange, 200, result);
  }

  private void agentSelf(Call call) throws Reply, IOException {
    call.requireToken("agent:read", NODE_NAME);
    ObjectNode self = JSON.createObjectNode();
    ObjectNode config = self.putObject("Config");
    config.put("Datacenter", DATACENTER);
    config.put("NodeName", NODE_NAME);
    config.put("NodeID", NODE_ID);
    config.put("Server", true);
    config.put("Revision", "breakwater-dev");
    config.put("Version", "0.1.0");
    ObjectNode member = self.putObject("Member");
    member.put("Name", NODE_NAME);
    member.put("Addr", NODE_ADDRESS);
    member.put("Port", 8301);
    member.put("Status", 1);
    self.putObject("Meta");
    sendJson(call.exchange, 200, self);
  }

  private void statusLeader(Call call) throws IOException {
    sendJson(call.exchange, 200, JSON.getNodeFactory().textNode(leaderLost ? "" : LEADER));
  }

  private void statusPeers(Call call) throws IOException {
    ArrayNode peers = JSON.createArrayNode();
    if (!leaderLost) {
      peers.add(LEADER);
    }
    sendJson(call.exchange, 200, peers);
  }

  private <T> T read(Function<AgentState, T> reader) throws InterruptedException {
    return state.read(0, 0, reader, s -> 0L);
  }

  /** A read that supports blocking, consistency modes, the metadata headers and the faults. */
  private void blockingRead(Call call, Function<AgentState, Long> indexOf,
      Function<AgentState, JsonNode> reader) throws Reply, IOException, InterruptedException {
    long minIndex = 0;
    String indexText = call.param("index");
    if (indexText != null && !indexText.isEmpty()) {
      try {
        minIndex = Long.parseUnsignedLong(indexText);
      } catch (NumberFormatException e) {
        throw new Reply(400, "Invalid index");
      }
    }
    Duration wait = DEFAULT_WAIT;
    String waitText = call.param("wait");
    if (waitText != null && !waitText.isEmpty()) {
      try {
        wait = GoDuration.parse(waitText);
      } catch (IllegalArgumentException e) {
        throw new Reply(400, "Invalid wait time");
      }
      if (wait.isNegative() || wait.isZero()) {
        wait = DEFAULT_WAIT;
      }
    }
    if (wait.compareTo(MAX_WAIT) > 0) {
      wait = MAX_WAIT;
    }
    boolean stale = call.has("stale");
    if (stale && call.has("consistent")) {
      throw new Reply(400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
    }
    if (leaderLost && !stale) {
      throw new Reply(500, "No cluster leader");
    }
    long waitNanos = wait.toNanos();
    long jitterNanos = jitter && minIndex != 0
        ? ThreadLocalRandom.current().nextLong(waitNanos / 16 + 1)
        : 0;
    long deadline = System.nanoTime() + waitNanos + jitterNanos;
    long[] index = new long[1];
    JsonNode body = state.read(minIndex, deadline, s -> {
      index[0] = Math.max(1, indexOf.apply(s));
      return reader.apply(s);
    }, indexOf);

    long delay = readDelayNanos;
    if (delay > 0) {
      TimeUnit.NANOSECONDS.sleep(delay);
    }
    Corruption garbage = corruption;
    var headers = call.exchange.getResponseHeaders();
    if (garbage != Corruption.MISSING_INDEX_HEADER) {
      headers.set("X-Consul-Index", indexZero ? "0" : Long.toUnsignedString(index[0]));
      headers.set("X-Consul-KnownLeader", Boolean.toString(!leaderLost));
      long lastContactMs = leaderLost
          ? TimeUnit.NANOSECONDS.toMillis(Math.max(0, ticker.nanos() - leaderLostAt))
          : 0;
      headers.set("X-Consul-LastContact", Long.toString(lastContactMs));
      headers.set("X-Consul-Effective-Consistency", stale ? "stale" : "leader");
    }
    if (garbage == null || garbage == Corruption.MISSING_INDEX_HEADER) {
      sendJson(call.exchange, 200, body);
      return;
    }
    switch (garbage) {
      case MALFORMED_JSON:
        String text = JSON.writeValueAsString(body);
        sendBytes(call.exchange, 200, "application/json", (text.substring(0, text.length() / 2)
            + "{\"Service\":{\"ID\"").getBytes(StandardCharsets.UTF_8));
        break;
      case HUGE_BODY:
        sendHuge(call.exchange);
        break;
      default:
        corrupt(body, garbage);
        sendJson(call.exchange, 200, body);
        break;
    }
  }

  private static void corrupt(JsonNode body, Corruption garbage) {
    if (garbage == Corruption.WRONG_TYPES && body.isObject()) {
      // catalog/services: tag lists become numbers.
      ((ObjectNode) body).fieldNames().forEachRemaining(n -> ((ObjectNode) body).put(n, 42));
      if (body.isEmpty()) {
        ((ObjectNode) body).put("web", 42);
      }
      return;
    }
    if (garbage == Corruption.UNKNOWN_FIELDS) {
      if (body.isArray()) {
        addUnknownFields(body);
      }
      return;
    }
    if (garbage == Corruption.WRONG_TYPES && body.isEmpty() && body.isArray()) {
      ((ArrayNode) body).addObject().put("Service", "not an object");
      return;
    }
    for (JsonNode item : body) {
      if (!item.isObject()) {
        continue;
      }
      ObjectNode service = item.get("Service") instanceof ObjectNode s ? s : (ObjectNode) item;
      String portField = item.has("ServicePort") ? "ServicePort" : "Port";
      switch (garbage) {
        case WRONG_TYPES:
          service.put(portField, "eighty");
          service.put(item.has("ServiceTags") ? "ServiceTags" : "Tags", 7);
          break;
        case PORT_ZERO:
          service.put(portField, 0);
          break;
        case PORT_OUT_OF_RANGE:
          service.put(portField, 70_000);
          break;
        default:
          break;
      }
    }
  }

  /**
   * Adds fields to every structure of an answer, but not to maps whose keys are data (Meta,
   * TaggedAddresses, the service map of catalog/services): a new key there is not a new field.
   */
  private static void addUnknownFields(JsonNode node) {
    if (node.isArray()) {
      node.forEach(ConsulHttpApi::addUnknownFields);
    } else if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        if (!DATA_MAPS.contains(name)) {
          addUnknownFields(object.get(name));
        }
      }
      object.put("BreakwaterFutureField", "from a Consul that does not exist yet");
      object.putObject("BreakwaterFutureObject").putArray("Items").add(1).add("two");
    }
  }

  // ---- JSON shapes --------------------------------------------------------------------------

  private static ObjectNode nodeJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("ID", NODE_ID);
    node.put("Node", NODE_NAME);
    node.put("Address", NODE_ADDRESS);
    node.put("Datacenter", DATACENTER);
    node.set("TaggedAddresses", taggedAddresses());
    node.putObject("Meta");
    node.put("CreateIndex", 5);
    node.put("ModifyIndex", 5);
    return node;
  }

  private static ObjectNode taggedAddresses() {
    ObjectNode tagged = JSON.createObjectNode();
    tagged.put("lan", NODE_ADDRESS);
    tagged.put("wan", NODE_ADDRESS);
    return tagged;
  }

  private static ObjectNode serviceJson(Service service) {
    ObjectNode node = JSON.createObjectNode();
    node.put("ID", service.id());
    node.put("Service", service.name());
    node.set("Tags", JSON.valueToTree(service.tags()));
    node.put("Address", service.address());
    node.set("Meta", JSON.valueToTree(service.meta()));
    node.put("Port", service.port());
    node.set("Weights", weightsJson(service));
    node.put("EnableTagOverride", service.enableTagOverride());
    node.put("CreateIndex", service.createIndex());
    node.put("ModifyIndex", service.modifyIndex());
    return node;
  }

  private static ObjectNode weightsJson(Service service) {
    ObjectNode weights = JSON.createObjectNode();
    weights.put("Passing", service.passingWeight());
    weights.put("Warning", service.warningWeight());
    return weights;
  }

  private static ObjectNode checkJson(CheckView check) {
    ObjectNode node = JSON.createObjectNode();
    node.put("Node", NODE_NAME);
    node.put("CheckID", check.id());
    node.put("Name", check.name());
    node.put("Status", check.status());
    node.put("Notes", check.notes());
    node.put("Output", check.output());
    node.put("ServiceID", check.serviceId());
    node.put("ServiceName", check.serviceName());
    node.set("ServiceTags", JSON.valueToTree(check.serviceTags()));
    node.put("Type", check.type());
    node.put("Interval", check.interval());
    node.put("Timeout", check.timeout());
    node.put("ExposedPort", 0);
    node.putObject("Definition");
    node.put("CreateIndex", check.createIndex());
    node.put("ModifyIndex", check.modifyIndex());
    return node;
  }

  private static ObjectNode serfHealthJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("Node", NODE_NAME);
    node.put("CheckID", "serfHealth");
    node.put("Name", "Serf Health Status");
    node.put("Status", AgentState.PASSING);
    node.put("Notes", "");
    node.put("Output", "Agent alive and reachable");
    node.put("ServiceID", "");
    node.put("ServiceName", "");
    node.putArray("ServiceTags");
    node.put("Type", "");
    node.put("CreateIndex", 5);
    node.put("ModifyIndex", 5);
    return node;
  }

  // ---- request parsing --------------------------------------------------------------------

  private static JsonNode decode(byte[] body) throws Reply {
    try {
      JsonNode node = JSON.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw decodeFailure("EOF");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw decodeFailure(e.getOriginalMessage());
    } catch (IOException e) {
      throw decodeFailure(e.getMessage());
    }
  }

  private static Reply decodeFailure(String why) {
    return new Reply(400, "Request decode failed: " + why);
  }

  /**
   * The fields of an object keyed by lower-case name without underscores, because the agent
   * accepts PascalCase, snake_case and any case.
   */
  private static Map<String, JsonNode> fields(JsonNode object) {
    Map<String, JsonNode> fields = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> iterator = object.fields();
    while (iterator.hasNext()) {
      Map.Entry<String, JsonNode> field = iterator.next();
      fields.put(normalize(field.getKey()), field.getValue());
    }
    return fields;
  }

  private static String normalize(String key) {
    return key.replace("_", "").toLowerCase(Locale.ROOT);
  }

  private static String text(Map<String, JsonNode> fields, String name, String fallback)
      throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isTextual()) {
      throw decodeFailure(name + " must be a string");
    }
    return value.asText();
  }

  private static int integer(Map<String, JsonNode> fields, String name, int fallback)
      throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw decodeFailure(name + " must be an integer");
    }
    return value.asInt();
  }

  private static boolean bool(Map<String, JsonNode> fields, String name) throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw decodeFailure(name + " must be a boolean");
    }
    return value.asBoolean();
  }

  private static List<String> strings(Map<String, JsonNode> fields, String name) throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isArray()) {
      throw decodeFailure(name + " must be an array of strings");
    }
    List<String> result = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw decodeFailure(name + " must be an array of strings");
      }
      result.add(item.asText());
    }
    return List.copyOf(result);
  }

  private static Map<String, String> stringMap(Map<String, JsonNode> fields, String name)
      throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return Map.of();
    }
    if (!value.isObject()) {
      throw decodeFailure(name + " must be an object of strings");
    }
    Map<String, String> result = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> iterator = value.fields();
    while (iterator.hasNext()) {
      Map.Entry<String, JsonNode> pair = iterator.next();
      if (!pair.getValue().isTextual()) {
        throw decodeFailure(name + " must be an object of strings");
      }
      result.put(pair.getKey(), pair.getValue().asText());
    }
    return result;
  }

  /** A duration as a Go duration string or a number of nanoseconds; 0 when absent. */
  private static long duration(Map<String, JsonNode> fields, String name) throws Reply {
    JsonNode value = fields.get(normalize(name));
    if (value == null || value.isNull()) {
      return 0;
    }
    if (value.isIntegralNumber()) {
      return value.asLong();
    }
    if (!value.isTextual()) {
      throw decodeFailure(name + " must be a duration");
    }
    if (value.asText().isEmpty()) {
      return 0;
    }
    try {
      return GoDuration.parse(value.asText()).toNanos();
    } catch (IllegalArgumentException e) {
      throw decodeFailure(e.getMessage());
    }
  }

  private static boolean parseBool(String value) {
    try {
      return parseBoolStrict(value);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Go's strconv.ParseBool. */
  private static boolean parseBoolStrict(String value) {
    return switch (value) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw new IllegalArgumentException("not a boolean: " + value);
    };
  }

  private static Map<String, List<String>> parseQuery(String rawQuery) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return query;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      query.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return query;
  }

  /** Consul's precedence: {@code ?token}, then {@code X-Consul-Token}, then a Bearer token. */
  private static String token(HttpExchange exchange, Map<String, List<String>> query) {
    List<String> fromQuery = query.get("token");
    if (fromQuery != null && !fromQuery.isEmpty() && !fromQuery.get(0).isEmpty()) {
      return fromQuery.get(0);
    }
    String header = exchange.getRequestHeaders().getFirst("X-Consul-Token");
    if (header != null && !header.isEmpty()) {
      return header;
    }
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null && authorization.length() > 7
        && authorization.substring(0, 7).equalsIgnoreCase("bearer ")) {
      return authorization.substring(7).trim();
    }
    return null;
  }

  private void record(HttpExchange exchange, String path, Map<String, List<String>> query) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    query.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    RecordedRequest request = new RecordedRequest(exchange.getRequestMethod(), path,
        Map.copyOf(copy), token(exchange, query));
    synchronized (recorded) {
      if (recorded.size() == RECORDED) {
        recorded.removeFirst();
      }
      recorded.addLast(request);
    }
  }

  // ---- responses ----------------------------------------------------------------------------

  /** Consul's errors: plain text, no body at all when there is no text. */
  private static void send(HttpExchange exchange, int status, String text) throws IOException {
    sendBytes(exchange, status, "text/plain; charset=utf-8",
        text.getBytes(StandardCharsets.UTF_8));
  }

  private static void sendJson(HttpExchange exchange, int status, JsonNode body)
      throws IOException {
    sendBytes(exchange, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void sendBytes(HttpExchange exchange, int status, String contentType,
      byte[] bytes) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** A valid, empty JSON array padded with whitespace to {@link #HUGE_BODY_BYTES}, streamed. */
  private static void sendHuge(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0);
    byte[] spaces = new byte[64 * 1024];
    Arrays.fill(spaces, (byte) ' ');
    try (OutputStream out = exchange.getResponseBody()) {
      out.write('[');
      for (int written = 2; written < HUGE_BODY_BYTES; written += spaces.length) {
        out.write(spaces);
      }
      out.write(']');
    }
  }
}
