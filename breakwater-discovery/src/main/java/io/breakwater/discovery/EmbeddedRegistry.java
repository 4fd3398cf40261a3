package io.breakwater.discovery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry that lives in this JVM: the default when no external registry is configured, and the
 * one to use in tests.
 *
 * <p>Every instance holds a lease of {@link Builder#ttl ttl}. A heartbeat renews the lease; an
 * instance whose lease ran out is expired, exactly as a Consul TTL check would turn it critical and
 * drop it from healthy lookups. {@link #register} keeps the instance alive with heartbeats until
 * {@link #deregister} or {@link #close}: one daemon thread, {@code breakwater-embedded-registry-N},
 * started by the first registration, renews every such lease each {@link Builder#heartbeatInterval
 * heartbeatInterval} and notices leases that ran out.
 *
 * <p>Tests drive failure and time by hand: {@link #stopHeartbeats} makes an instance behave like a
 * hung process (its lease is no longer renewed), {@link Builder#automaticHeartbeats
 * automaticHeartbeats(false)} starts no thread at all so that only {@link #heartbeat} renews
 * leases, and {@link Builder#ticker} takes a fake clock. Expiry is checked against the ticker on
 * every call of this class, so after moving a fake clock, {@link #instances} or {@link
 * #evictExpired} sees the result and watches are told at once.
 *
 * <p>Watch listeners are called on the thread that made the change (the caller of register,
 * deregister, heartbeat or evictExpired, or the heartbeat thread), never under this registry's
 * lock, one call at a time per watch, with lists sorted by instance id.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedRegistry implements Registry {

  /** How long a lease lasts without a heartbeat unless configured: {@value} seconds. */
  public static final long DEFAULT_TTL_SECONDS = 30;

  /** How often registered instances are renewed unless configured: {@value} seconds. */
  public static final long DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 10;

  private static final Logger log = LoggerFactory.getLogger(EmbeddedRegistry.class);
  private static final Comparator<ServiceInstance> BY_ID =
      Comparator.comparing(ServiceInstance::id);
  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();

  private final long ttlNanos;
  private final long heartbeatIntervalNanos;
  private final boolean automaticHeartbeats;
  private final Ticker ticker;

  // Guards every field below; held only for map work, never while a listener runs.
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Lease> leases = new HashMap<>();
  private final Map<String, List<Subscriber>> watches = new HashMap<>();
  // Grows with every change, so that a listener is never handed an older list after a newer one.
  private long version;
  // The earliest time any lease can run out; lets most calls skip the scan for expired leases.
  private long nextExpiry = Long.MAX_VALUE;
  private ScheduledExecutorService heartbeats;
  private boolean closed;

  private EmbeddedRegistry(Builder builder) {
    this.ttlNanos = builder.ttl.toNanos();
    this.heartbeatIntervalNanos = builder.heartbeatInterval.toNanos();
    this.automaticHeartbeats = builder.automaticHeartbeats;
    this.ticker = builder.ticker;
  }

  /** A registry with the default TTL and heartbeat interval, on the system clock. */
  public static EmbeddedRegistry create() {
    return builder().build();
  }

  /** A builder for a registry with other timing or a fake clock. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void register(ServiceInstance instance) {
    Objects.requireNonNull(instance, "instance must not be null");
    List<Change> changes;
    lock.lock();
    try {
      requireOpen();
      long now = ticker.nanos();
      Lease previous = leases.put(instance.id(), new Lease(instance, now + ttlNanos,
          automaticHeartbeats));
      Set<String> touched = new LinkedHashSet<>();
      touched.add(instance.service());
      if (previous != null && !previous.expired(now)) {
        touched.add(previous.instance.service());
      }
      nextExpiry = Math.min(nextExpiry, now + ttlNanos);
      changes = collectChanges(touched, now);
      if (automaticHeartbeats && heartbeats == null) {
        heartbeats = startHeartbeats();
      }
    } finally {
      lock.unlock();
    }
    log.debug("Registered {} ({}) at {}", instance.id(), instance.service(), instance.authority());
    deliver(changes);
  }

  @Override
  public void deregister(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId must not be null");
    List<Change> changes = List.of();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      long now = ticker.nanos();
      Lease removed = leases.remove(instanceId);
      if (removed != null) {
        Set<String> touched = new LinkedHashSet<>();
        if (!removed.expired(now)) {
          touched.add(removed.instance.service());
        }
        changes = collectChanges(touched, now);
      }
    } finally {
      lock.unlock();
    }
    deliver(changes);
  }

  @Override
  public List<ServiceInstance> instances(String serviceName) {
    Objects.requireNonNull(serviceName, "serviceName must not be null");
    List<Change> changes;
    List<ServiceInstance> result;
    lock.lock();
    try {
      requireOpen();
      long now = ticker.nanos();
      changes = collectChanges(Set.of(), now);
      result = snapshot(serviceName, now);
    } finally {
      lock.unlock();
    }
    deliver(changes);
    return result;
  }

  @Override
  public Watch watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
    Objects.requireNonNull(serviceName, "serviceName must not be null");
    Objects.requireNonNull(listener, "listener must not be null");
    Subscriber[] self = new Subscriber[1];
    Subscriber subscriber = new Subscriber(serviceName, listener, () -> unwatch(self[0]));
    self[0] = subscriber;
    List<Change> changes;
    long current;
    List<ServiceInstance> initial;
    lock.lock();
    try {
      requireOpen();
      long now = ticker.nanos();
      changes = collectChanges(Set.of(), now);
      watches.computeIfAbsent(serviceName, s -> new CopyOnWriteArrayList<>()).add(subscriber);
      current = version;
      initial = snapshot(serviceName, now);
    } finally {
      lock.unlock();
    }
    deliver(changes);
    subscriber.offer(current, initial);
    return subscriber;
  }

  /**
   * Renews an instance's lease now, as its heartbeat thread would.
   *
   * @return false when the id is unknown or its lease has already run out (register it again)
   */
  public boolean heartbeat(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId must not be null");
    List<Change> changes;
    boolean renewed;
    lock.lock();
    try {
      requireOpen();
      long now = ticker.nanos();
      changes = collectChanges(Set.of(), now);
      Lease lease = leases.get(instanceId);
      renewed = lease != null;
      if (renewed) {
        lease.expiresAt = now + ttlNanos;
        nextExpiry = Math.min(nextExpiry, lease.expiresAt);
      }
    } finally {
      lock.unlock();
    }
    deliver(changes);
    return renewed;
  }

  /**
   * Stops renewing an instance's lease without deregistering it, as if its process hung: it stays
   * healthy until its TTL runs out, then expires. A later {@link #register} or {@link #heartbeat}
   * brings it back; register also resumes automatic heartbeats.
   *
   * @return false when the id is unknown
   */
  public boolean stopHeartbeats(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId must not be null");
    lock.lock();
    try {
      Lease lease = leases.get(instanceId);
      if (lease == null) {
        return false;
      }
      lease.renewedAutomatically = false;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Drops every instance whose lease has run out and tells the watches of their services.
   *
   * @return how many instances expired
   */
  public int evictExpired() {
    List<Change> changes;
    int before;
    int after;
    lock.lock();
    try {
      requireOpen();
      before = leases.size();
      changes = collectChanges(Set.of(), ticker.nanos());
      after = leases.size();
    } finally {
      lock.unlock();
    }
    deliver(changes);
    return before - after;
  }

  /** Drops every instance, stops the heartbeat thread and silences every watch. Idempotent. */
  @Override
  public void close() {
    ScheduledExecutorService toStop;
    List<Subscriber> toClose = new ArrayList<>();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      leases.clear();
      watches.values().forEach(toClose::addAll);
      watches.clear();
      toStop = heartbeats;
      heartbeats = null;
    } finally {
      lock.unlock();
    }
    toClose.forEach(Subscriber::close);
    if (toStop != null) {
      toStop.shutdownNow();
    }
  }

  private ScheduledExecutorService startHeartbeats() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread =
          new Thread(runnable, "breakwater-embedded-registry-" + THREAD_NUMBERS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.scheduleWithFixedDelay(this::renewAll, heartbeatIntervalNanos, heartbeatIntervalNanos,
        TimeUnit.NANOSECONDS);
    return executor;
  }

  private void renewAll() {
    try {
      List<Change> changes;
      lock.lock();
      try {
        if (closed) {
          return;
        }
        long now = ticker.nanos();
        // Expire first: a lease that ran out before this tick is not revived by it, because its
        // instance has already been reported gone.
        changes = collectChanges(Set.of(), now);
        for (Lease lease : leases.values()) {
          if (lease.renewedAutomatically) {
            lease.expiresAt = now + ttlNanos;
            nextExpiry = Math.min(nextExpiry, lease.expiresAt);
          }
        }
      } finally {
        lock.unlock();
      }
      deliver(changes);
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; that would silently expire everything.
      log.error("Heartbeat round of the embedded registry failed", e);
    }
  }

  /**
   * Removes expired leases, then works out the new lists of the services that changed (the ones
   * in {@code touched} plus those that lost an instance to expiry) for every watch on them. Runs
   * under the lock; the caller delivers the result after releasing it.
   */
  private List<Change> collectChanges(Set<String> touched, long now) {
    Set<String> changed = new LinkedHashSet<>(touched);
    if (now - nextExpiry >= 0) {
      long earliest = Long.MAX_VALUE;
      var iterator = leases.values().iterator();
      while (iterator.hasNext()) {
        Lease lease = iterator.next();
        if (lease.expired(now)) {
          iterator.remove();
          changed.add(lease.instance.service());
          log.info("Instance {} of service '{}' expired: no heartbeat for {} ms",
              lease.instance.id(), lease.instance.service(), TimeUnit.NANOSECONDS.toMillis(
                  ttlNanos));
        } else {
          earliest = Math.min(earliest, lease.expiresAt);
        }
      }
      nextExpiry = earliest;
    }
    if (changed.isEmpty()) {
      return List.of();
    }
    version++;
    List<Change> changes = new ArrayList<>();
    for (String service : changed) {
      List<Subscriber> subscribers = watches.get(service);
      if (subscribers != null && !subscribers.isEmpty()) {
        changes.add(new Change(subscribers, version, snapshot(service, now)));
      }
    }
    return changes;
  }

  private List<ServiceInstance> snapshot(String service, long now) {
    List<ServiceInstance> result = new ArrayList<>();
    for (Lease lease : leases.values()) {
      if (lease.instance.service().equals(service) && !lease.expired(now)) {
        result.add(lease.instance);
      }
    }
    result.sort(BY_ID);
    return List.copyOf(result);
  }

  private static void deliver(List<Change> changes) {
    for (Change change : changes) {
      for (Subscriber subscriber : change.subscribers) {
        subscriber.offer(change.version, change.instances);
      }
    }
  }

  private void unwatch(Subscriber subscriber) {
    lock.lock();
    try {
      List<Subscriber> subscribers = watches.get(subscriber.service());
      if (subscribers != null) {
        subscribers.remove(subscriber);
        if (subscribers.isEmpty()) {
          watches.remove(subscriber.service());
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("EmbeddedRegistry is closed");
    }
  }

  private static final class Lease {
    final ServiceInstance instance;
    long expiresAt;
    boolean renewedAutomatically;

    Lease(ServiceInstance instance, long expiresAt, boolean renewedAutomatically) {
      this.instance = instance;
      this.expiresAt = expiresAt;
      this.renewedAutomatically = renewedAutomatically;
    }

    boolean expired(long now) {
      return now - expiresAt >= 0;
    }
  }

  private record Change(List<Subscriber> subscribers, long version,
      List<ServiceInstance> instances) {}

  /**
   * Settings of an {@link EmbeddedRegistry}. Not thread-safe; {@link #build} validates everything
   * before anything is created.
   */
  public static final class Builder {
    private Duration ttl = Duration.ofSeconds(DEFAULT_TTL_SECONDS);
    private Duration heartbeatInterval = Duration.ofSeconds(DEFAULT_HEARTBEAT_INTERVAL_SECONDS);
    private boolean automaticHeartbeats = true;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** How long an instance stays healthy after its last heartbeat; default 30 s. */
    public Builder ttl(Duration ttl) {
      this.ttl = Objects.requireNonNull(ttl, "ttl must not be null");
      return this;
    }

    /** How often registered instances are renewed; default 10 s, must be shorter than the TTL. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval =
          Objects.requireNonNull(heartbeatInterval, "heartbeatInterval must not be null");
      return this;
    }

    /**
     * Whether {@link EmbeddedRegistry#register} keeps instances alive from a background thread
     * (default true). With false no thread is ever started and only {@link
     * EmbeddedRegistry#heartbeat} renews a lease: for tests that drive time themselves.
     */
    public Builder automaticHeartbeats(boolean automaticHeartbeats) {
      this.automaticHeartbeats = automaticHeartbeats;
      return this;
    }

    /** The clock leases are measured on; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker must not be null");
      return this;
    }

    /** Checks the settings and creates the registry; starts no thread. */
    public EmbeddedRegistry build() {
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl must be positive: was " + ttl);
      }
      if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
        throw new IllegalArgumentException(
            "heartbeatInterval must be positive: was " + heartbeatInterval);
      }
      if (heartbeatInterval.compareTo(ttl) >= 0) {
        throw new IllegalArgumentException("heartbeatInterval must be shorter than ttl (" + ttl
            + "): was " + heartbeatInterval);
      }
      return new EmbeddedRegistry(this);
    }
  }
}
