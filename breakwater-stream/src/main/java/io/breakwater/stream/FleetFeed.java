package io.breakwater.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.breakwater.discovery.Registry;
import io.breakwater.discovery.ServiceInstance;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The merged stream of every instance of one service, the job Turbine did. The instances are
 * the registry's, followed through a watch: one that appears is read, one that leaves is
 * dropped with its figures. Only registry-listed instances are ever contacted. A host that has
 * not sent a message for an entity within the staleness window no longer counts for it.
 */
final class FleetFeed implements Feed {

  private static final Logger log = LoggerFactory.getLogger(FleetFeed.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TYPE_ORDER = List.of(
      HystrixMessages.COMMAND, HystrixMessages.THREAD_POOL, HystrixMessages.COLLAPSER);

  private final String service;
  private final String instanceId;
  private final Registry registry;
  private final Settings settings;
  private final Supplier<HttpClient> client;
  private final ScheduledExecutorService timer;
  /** Guards the upstream set and the watch; starting or stopping an upstream never blocks. */
  private final Object lock = new Object();
  private final Map<String, Upstream> upstreams = new HashMap<>();
  private Registry.Watch watch;
  private boolean active;

  /** What every fleet feed of a server shares. */
  record Settings(String path, long upstreamDelayMillis, String bearerToken, long staleMillis) {}

  FleetFeed(String service, String instanceId, Registry registry, Settings settings,
      Supplier<HttpClient> client, ScheduledExecutorService timer) {
    this.service = Objects.requireNonNull(service);
    this.instanceId = instanceId;
    this.registry = registry;
    this.settings = settings;
    this.client = client;
    this.timer = timer;
  }

  @Override
  public void activate() {
    Registry.Watch w;
    synchronized (lock) {
      active = true;
    }
    w = registry.watch(service, this::follow);
    synchronized (lock) {
      if (active) {
        watch = w;
        return;
      }
    }
    w.close();
  }

  @Override
  public void deactivate() {
    Registry.Watch w;
    synchronized (lock) {
      active = false;
      w = watch;
      watch = null;
      upstreams.values().forEach(Upstream::stop);
      upstreams.clear();
    }
    if (w != null) {
      w.close();
    }
  }

  /** Whether some reader is subscribed (between {@link #activate} and {@link #deactivate}). */
  boolean active() {
    synchronized (lock) {
      return active;
    }
  }

  /** The instances being read now. */
  List<Upstream> upstreams() {
    synchronized (lock) {
      return new ArrayList<>(upstreams.values());
    }
  }

  private void follow(List<ServiceInstance> instances) {
    synchronized (lock) {
      if (!active) {
        return;
      }
      Map<String, ServiceInstance> wanted = new HashMap<>();
      for (ServiceInstance i : instances) {
        if (instanceId == null || instanceId.equals(i.id())) {
          wanted.put(i.id(), i);
        }
      }
      upstreams.entrySet().removeIf(e -> {
        ServiceInstance now = wanted.get(e.getKey());
        boolean gone = now == null || !now.authority().equals(e.getValue().instance().authority());
        if (gone) {
          e.getValue().stop();
        }
        return gone;
      });
      for (ServiceInstance i : wanted.values()) {
        if (!upstreams.containsKey(i.id())) {
          try {
            Upstream u = new Upstream(i, settings.path(), settings.upstreamDelayMillis(),
                client.get(), settings.bearerToken(), timer);
            upstreams.put(i.id(), u);
            u.start();
          } catch (IllegalArgumentException e) {
            log.warn("not reading instance {} of {}: {}", i.id(), service, e.getMessage());
          }
        }
      }
    }
  }

  @Override
  public byte[] tick() {
    long now = System.nanoTime();
    long staleNanos = settings.staleMillis() * 1_000_000L;
    Map<String, List<ObjectNode>> byEntity = new TreeMap<>(FleetFeed::compareKeys);
    for (Upstream u : upstreams()) {
      u.latest().values().removeIf(l -> now - l.receivedNanos() > staleNanos);
      u.latest().forEach((key, l) ->
          byEntity.computeIfAbsent(key, k -> new ArrayList<>()).add(l.message()));
    }
    List<byte[]> messages = new ArrayList<>(byEntity.size());
    for (List<ObjectNode> hosts : byEntity.values()) {
      try {
        messages.add(JSON.writeValueAsBytes(FleetMerge.merge(hosts)));
      } catch (JsonProcessingException e) {
        log.error("could not write a merged message", e);
      }
    }
    return Sse.events(messages);
  }

  /** Commands first, then pools, then collapsers, each by name, as a single instance sends. */
  private static int compareKeys(String a, String b) {
    int ta = typeRank(a);
    int tb = typeRank(b);
    return ta != tb ? Integer.compare(ta, tb) : a.compareTo(b);
  }

  private static int typeRank(String key) {
    int i = TYPE_ORDER.indexOf(key.substring(0, key.indexOf('\u0000')));
    return i < 0 ? TYPE_ORDER.size() : i;
  }

  @Override
  public String toString() {
    return "FleetFeed{" + service + (instanceId == null ? "" : "/" + instanceId) + "}";
  }
}
