package io.breakwater.grpc;

import io.breakwater.discovery.Registry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a channel the healthy instances of one service from a {@link Registry}.
 *
 * <p>The resolver watches the service: every list the watch delivers becomes the channel's
 * addresses. An empty list is reported as UNAVAILABLE naming the service: pick_first then drops
 * its connection and calls fail with that status until an instance comes back, while round_robin,
 * by gRPC's design, keeps using connections that are still up (which matters only while a
 * deregistered server keeps running). Registry calls (which may block
 * on the network) and the name lookups of instances registered by host name run on the channel's
 * offload executor or the registry's own threads, never in the synchronization context; the
 * state below is touched only inside that context.
 *
 * <p>When the registry fails (watch or lookup throws), the channel keeps the last list it had:
 * a registry outage must not take down calls to servers that are still running. With no list yet
 * the channel is told the error, and it retries through {@link #refresh} with back-off.
 */
final class RegistryNameResolver extends NameResolver {

  private static final Logger log = LoggerFactory.getLogger(RegistryNameResolver.class);

  private final String service;
  private final Registry registry;
  private final SynchronizationContext sync;
  private final Executor offload;

  // Touched only in the synchronization context.
  private Listener2 listener;
  private Registry.Watch watch;
  private boolean subscribing;
  private boolean shutdown;
  private List<EquivalentAddressGroup> lastGood;
  /** Lists delivered by the watch so far; a lookup older than the latest of them is dropped. */
  private long watchDeliveries;

  RegistryNameResolver(String service, Registry registry, Args args) {
    this.service = service;
    this.registry = registry;
    this.sync = args.getSynchronizationContext();
    Executor e = args.getOffloadExecutor();
    this.offload = e != null ? e : Runnable::run;
  }

  @Override
  public String getServiceAuthority() {
    return service;
  }

  @Override
  public void start(Listener2 listener) {
    if (this.listener != null) {
      throw new IllegalStateException("resolver for " + service + " already started");
    }
    this.listener = listener;
    subscribe();
  }

  /**
   * Asked by the channel after connection failures or an earlier error: re-subscribes if the
   * watch could not be set up, otherwise looks the service up once more.
   */
  @Override
  public void refresh() {
    if (listener == null || shutdown) {
      return;
    }
    if (watch == null) {
      subscribe();
      return;
    }
    long seen = watchDeliveries;
    offload.execute(() -> {
      try {
        List<ServiceInstance> instances = registry.instances(service);
        List<EquivalentAddressGroup> addresses = addressesOf(instances);
        sync.execute(() -> {
          if (seen == watchDeliveries) {
            publish(addresses);
          }
        });
      } catch (RuntimeException e) {
        sync.execute(() -> registryFailed(e));
      }
    });
  }

  @Override
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    if (watch != null) {
      watch.close();
      watch = null;
    }
  }

  private void subscribe() {
    if (subscribing) {
      return;
    }
    subscribing = true;
    offload.execute(() -> {
      try {
        Registry.Watch w = registry.watch(service, instances -> {
          List<EquivalentAddressGroup> addresses = addressesOf(instances);
          sync.execute(() -> {
            watchDeliveries++;
            publish(addresses);
          });
        });
        sync.execute(() -> {
          subscribing = false;
          if (shutdown) {
            w.close();
          } else {
            watch = w;
          }
        });
      } catch (RuntimeException e) {
        sync.execute(() -> {
          subscribing = false;
          registryFailed(e);
        });
      }
    });
  }

  private void publish(List<EquivalentAddressGroup> addresses) {
    if (shutdown) {
      return;
    }
    lastGood = addresses;
    StatusOr<List<EquivalentAddressGroup>> result = addresses.isEmpty()
        ? StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
            "no healthy instance of service '" + service + "' in the registry"))
        : StatusOr.fromValue(addresses);
    listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(result)
        .setAttributes(Attributes.EMPTY)
        .build());
  }

  private void registryFailed(RuntimeException e) {
    if (shutdown) {
      return;
    }
    if (lastGood != null) {
      log.warn("Registry lookup of service '{}' failed; keeping its last {} instance(s)",
          service, lastGood.size(), e);
      return;
    }
    listener.onError(Status.UNAVAILABLE
        .withDescription("registry lookup of service '" + service + "' failed: " + e)
        .withCause(e));
  }

  /** One address group per instance; instances whose host does not resolve are left out. */
  private List<EquivalentAddressGroup> addressesOf(List<ServiceInstance> instances) {
    List<EquivalentAddressGroup> groups = new ArrayList<>(instances.size());
    for (ServiceInstance instance : instances) {
      InetSocketAddress address = new InetSocketAddress(instance.address(), instance.port());
      if (address.isUnresolved()) {
        log.warn("Instance {} of service '{}' has address {} which does not resolve; skipped",
            instance.id(), service, instance.address());
        continue;
      }
      groups.add(new EquivalentAddressGroup(address));
    }
    return List.copyOf(groups);
  }
}
