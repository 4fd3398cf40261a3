package io.breakwater.discovery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the dev registry knows: one node's services and checks, the TTL engine, the reaper and the
 * Raft-like indexes that blocking queries wait on.
 *
 * <p>Indexes follow Consul's rules (reference §2.1): one global counter that grows with every
 * change; each service name remembers the counter value of the last change to its instances or
 * their checks; the services table remembers the last registration change anywhere; and the last
 * time a service name lost its final instance ("extinction") answers for names that do not exist,
 * so a watch on a service returns when its last instance goes and then blocks until one appears.
 * Only real changes move indexes: a heartbeat on an already passing check with the same output
 * changes nothing, as on a real agent, which defers output-only changes.
 *
 * <p>Time comes from a {@link Ticker}; TTL expiry and reaping happen in {@link #runTimers}, which
 * every request calls first and which blocked queries call when a timer falls due.
 */
final class AgentState {

  static final String PASSING = "passing";
  static final String WARNING = "warning";
  static final String CRITICAL = "critical";
  static final int OUTPUT_MAX_SIZE = 4096;

  private static final Logger log = LoggerFactory.getLogger(AgentState.class);
  // Consul starts its Raft index well above zero; clients must never see 0.
  private static final long FIRST_INDEX = 10;

  private final Ticker ticker;
  private final long startNanos;
  private final long reaperIntervalNanos;

  // Guards every field below; `changed` is signalled whenever the index moves.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, Service> services = new TreeMap<>();
  private final Map<String, Check> checks = new TreeMap<>();
  private final Map<String, Long> serviceIndexes = new HashMap<>();
  private long index = FIRST_INDEX;
  private long servicesTableIndex = FIRST_INDEX;
  private long lastExtinction = FIRST_INDEX;
  private boolean closed;

  AgentState(Ticker ticker, long reaperIntervalNanos) {
    this.ticker = ticker;
    this.startNanos = ticker.nanos();
    this.reaperIntervalNanos = reaperIntervalNanos;
  }

  /** A service as registered with the agent. */
  record Service(String id, String name, List<String> tags, String address, int port,
      Map<String, String> meta, int passingWeight, int warningWeight, boolean enableTagOverride,
      long createIndex, long modifyIndex) {

    Service withIndexes(long create, long modify) {
      return new Service(id, name, tags, address, port, meta, passingWeight, warningWeight,
          enableTagOverride, create, modify);
    }

    boolean sameDefinition(Service other) {
      return id.equals(other.id) && name.equals(other.name) && tags.equals(other.tags)
          && address.equals(other.address) && port == other.port && meta.equals(other.meta)
          && passingWeight == other.passingWeight && warningWeight == other.warningWeight
          && enableTagOverride == other.enableTagOverride;
    }
  }

  /** A check as requested at registration; durations in nanoseconds, 0 when absent. */
  record CheckRequest(String id, String name, String type, String initialStatus, String notes,
      long ttlNanos, long deregisterAfterNanos, String interval, String timeout) {}

  /** A check as the agent holds it, copied out for rendering. */
  record CheckView(String id, String name, String type, String status, String output, String notes,
      String serviceId, String serviceName, List<String> serviceTags, String interval,
      String timeout, long createIndex, long modifyIndex) {}

  /** One health entry: a service with its checks. */
  record HealthEntry(Service service, List<CheckView> checks) {}

  /** The outcome of a TTL update. */
  enum TtlUpdate { UPDATED, UNKNOWN_CHECK, NOT_A_TTL_CHECK }

  private static final class Check {
    final CheckRequest request;
    final String serviceId;
    String status;
    String output = "";
    long expiresAt;
    boolean ttlArmed;
    long criticalSince;
    long createIndex;
    long modifyIndex;

    Check(CheckRequest request, String serviceId) {
      this.request = request;
      this.serviceId = serviceId;
    }
  }

  /** Registers or replaces a service and its checks, keeping the state of checks it had. */
  void register(Service definition, List<CheckRequest> requested, boolean replaceExistingChecks) {
    lock.lock();
    try {
      long now = ticker.nanos();
      runTimersLocked(now);
      boolean changedAnything = false;
      Service previous = services.get(definition.id());
      if (previous != null && !previous.name().equals(definition.name())) {
        removeServiceLocked(previous.id());
        previous = null;
      }
      if (previous == null || !previous.sameDefinition(definition)) {
        long next = index + 1;
        long create = previous == null ? next : previous.createIndex();
        services.put(definition.id(), definition.withIndexes(create, next));
        servicesTableIndex = next;
        changedAnything = true;
      }
      if (replaceExistingChecks) {
        changedAnything |= checks.values().removeIf(c -> c.serviceId.equals(definition.id())
            && requested.stream().noneMatch(r -> r.id().equals(c.request.id())));
      }
      for (CheckRequest request : requested) {
        Check existing = checks.get(request.id());
        Check check = new Check(request, definition.id());
        if (existing != null) {
          // A real agent carries status and output over, so re-registering does not flap a
          // passing check back to critical.
          check.status = existing.status;
          check.output = existing.output;
          check.criticalSince = existing.criticalSince;
          check.createIndex = existing.createIndex;
          check.modifyIndex = existing.modifyIndex;
        } else {
          check.status = request.initialStatus() == null ? CRITICAL : request.initialStatus();
          check.criticalSince = now;
          check.createIndex = index + 1;
          check.modifyIndex = index + 1;
          changedAnything = true;
        }
        if (request.ttlNanos() > 0) {
          check.expiresAt = now + request.ttlNanos();
          check.ttlArmed = true;
        }
        checks.put(request.id(), check);
      }
      if (changedAnything) {
        bumpLocked(definition.name());
      }
    } finally {
      lock.unlock();
    }
  }

  /** Removes a service and its checks; false when the id is unknown. */
  boolean deregister(String serviceId) {
    lock.lock();
    try {
      runTimersLocked(ticker.nanos());
      return removeServiceLocked(serviceId);
    } finally {
      lock.unlock();
    }
  }

  /** Sets a check's status and output and re-arms its TTL. */
  TtlUpdate updateTtl(String checkId, String status, String output) {
    lock.lock();
    try {
      long now = ticker.nanos();
      runTimersLocked(now);
      Check check = checks.get(checkId);
      if (check == null) {
        return TtlUpdate.UNKNOWN_CHECK;
      }
      if (check.request.ttlNanos() <= 0) {
        return TtlUpdate.NOT_A_TTL_CHECK;
      }
      check.expiresAt = now + check.request.ttlNanos();
      check.ttlArmed = true;
      setStatusLocked(check, status, truncate(output), now);
      return TtlUpdate.UPDATED;
    } finally {
      lock.unlock();
    }
  }

  /** Forgets every service and check, as an agent restarted without its data directory does. */
  void forgetAll() {
    lock.lock();
    try {
      for (String id : new ArrayList<>(services.keySet())) {
        removeServiceLocked(id);
      }
      checks.clear();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves every index back to just above zero, as a snapshot restore does: clients holding a
   * higher index must notice that it went backwards.
   */
  void rewindIndexes() {
    lock.lock();
    try {
      index = 2;
      servicesTableIndex = Math.min(servicesTableIndex, index);
      lastExtinction = Math.min(lastExtinction, index);
      serviceIndexes.replaceAll((name, value) -> Math.min(value, index));
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Releases every blocked query at once; used when the server shuts down. */
  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Applies the TTL expiries and reaping due now and wakes blocked queries if anything changed. */
  void runTimers() {
    lock.lock();
    try {
      runTimersLocked(ticker.nanos());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads under the lock, blocking first while the index {@code indexOf} reports is not above
   * {@code minIndex} and the deadline (on the real clock, {@link System#nanoTime}) is ahead.
   */
  <T> T read(long minIndex, long deadlineNanos, Function<AgentState, T> reader,
      Function<AgentState, Long> indexOf) throws InterruptedException {
    lock.lock();
    try {
      runTimersLocked(ticker.nanos());
      // Indexes are unsigned 64-bit numbers on the wire.
      while (minIndex != 0 && Long.compareUnsigned(indexOf.apply(this), minIndex) <= 0
          && !closed) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          break;
        }
        long untilTimer = nextTimerLocked() - ticker.nanos();
        changed.awaitNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1),
            Math.min(remaining, untilTimer)));
        runTimersLocked(ticker.nanos());
      }
      return reader.apply(this);
    } finally {
      lock.unlock();
    }
  }

  // The methods below are called by readers, under the lock.

  long serviceIndex(String name) {
    Long value = serviceIndexes.get(name);
    return value != null ? value : lastExtinction;
  }

  long servicesTableIndex() {
    return servicesTableIndex;
  }

  List<HealthEntry> health(String name) {
    List<HealthEntry> entries = new ArrayList<>();
    for (Service service : services.values()) {
      if (service.name().equals(name)) {
        entries.add(new HealthEntry(service, checksOf(service)));
      }
    }
    return entries;
  }

  Map<String, List<String>> serviceTags() {
    Map<String, List<String>> result = new TreeMap<>();
    for (Service service : services.values()) {
      List<String> tags = result.computeIfAbsent(service.name(), n -> new ArrayList<>());
      for (String tag : service.tags()) {
        if (!tags.contains(tag)) {
          tags.add(tag);
        }
      }
    }
    return result;
  }

  Map<String, Service> services() {
    return new LinkedHashMap<>(services);
  }

  List<CheckView> checks() {
    List<CheckView> result = new ArrayList<>();
    for (Check check : checks.values()) {
      result.add(view(check));
    }
    return result;
  }

  private List<CheckView> checksOf(Service service) {
    List<CheckView> result = new ArrayList<>();
    for (Check check : checks.values()) {
      if (check.serviceId.equals(service.id())) {
        result.add(view(check));
      }
    }
    return result;
  }

  private CheckView view(Check check) {
    Service service = services.get(check.serviceId);
    String serviceName = service == null ? "" : service.name();
    List<String> tags = service == null ? List.of() : service.tags();
    return new CheckView(check.request.id(), check.request.name(), check.request.type(),
        check.status, check.output, check.request.notes(), check.serviceId, serviceName, tags,
        check.request.interval(), check.request.timeout(), check.createIndex, check.modifyIndex);
  }

  private void runTimersLocked(long now) {
    for (Check check : checks.values()) {
      if (check.ttlArmed && now - check.expiresAt >= 0) {
        check.ttlArmed = false;
        String output = check.output.isEmpty()
            ? "TTL expired"
            : "TTL expired (last output before timeout follows): " + check.output;
        log.debug("Check {} missed its TTL", check.request.id());
        setStatusLocked(check, CRITICAL, truncate(output), check.expiresAt);
      }
    }
    long lastTick = lastReaperTick(now);
    List<String> reaped = new ArrayList<>();
    for (Check check : checks.values()) {
      long after = check.request.deregisterAfterNanos();
      boolean due = after > 0 && check.status.equals(CRITICAL)
          && lastTick - (check.criticalSince + after) >= 0;
      if (due && !reaped.contains(check.serviceId)) {
        reaped.add(check.serviceId);
      }
    }
    for (String serviceId : reaped) {
      log.info("Reaped service {}: its check stayed critical past DeregisterCriticalServiceAfter",
          serviceId);
      removeServiceLocked(serviceId);
    }
  }

  private long lastReaperTick(long now) {
    long elapsed = now - startNanos;
    return startNanos + (elapsed / reaperIntervalNanos) * reaperIntervalNanos;
  }

  private long nextTimerLocked() {
    long now = ticker.nanos();
    long next = now + TimeUnit.DAYS.toNanos(1);
    for (Check check : checks.values()) {
      if (check.ttlArmed && check.expiresAt - next < 0) {
        next = check.expiresAt;
      }
      long after = check.request.deregisterAfterNanos();
      if (after > 0 && check.status.equals(CRITICAL)) {
        long due = check.criticalSince + after;
        long tick = lastReaperTick(due);
        long reapAt = tick == due ? due : tick + reaperIntervalNanos;
        if (reapAt - next < 0) {
          next = reapAt;
        }
      }
    }
    return next;
  }

  private void setStatusLocked(Check check, String status, String output, long at) {
    boolean statusChanged = !check.status.equals(status);
    check.output = output;
    if (statusChanged) {
      if (status.equals(CRITICAL)) {
        check.criticalSince = at;
      }
      check.status = status;
      Service service = services.get(check.serviceId);
      bumpLocked(service == null ? null : service.name());
      check.modifyIndex = index;
    }
  }

  private boolean removeServiceLocked(String serviceId) {
    Service removed = services.remove(serviceId);
    if (removed == null) {
      return false;
    }
    checks.values().removeIf(c -> c.serviceId.equals(serviceId));
    servicesTableIndex = index + 1;
    boolean extinct = services.values().stream().noneMatch(s -> s.name().equals(removed.name()));
    bumpLocked(removed.name());
    if (extinct) {
      serviceIndexes.remove(removed.name());
      lastExtinction = index;
    }
    return true;
  }

  private void bumpLocked(String serviceName) {
    index++;
    if (serviceName != null) {
      serviceIndexes.put(serviceName, index);
    }
    changed.signalAll();
  }

  private static String truncate(String output) {
    Objects.requireNonNull(output);
    byte[] bytes = output.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= OUTPUT_MAX_SIZE) {
      return output;
    }
    String head = new String(bytes, 0, OUTPUT_MAX_SIZE, StandardCharsets.UTF_8);
    return head + " ... (captured " + OUTPUT_MAX_SIZE + " of " + bytes.length + " bytes)";
  }
}
