package io.breakwater.grpc;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC load balancer over one subchannel per resolved address, keeping every instance
 * connected and choosing per call among the ready ones that outlier ejection has not taken out
 * (see {@link InstancePicker} and {@link Outliers}).
 *
 * <p>Every method runs in the channel's synchronization context, as gRPC calls them, and so do
 * the subchannel state listeners; {@code instances} and {@code lastFailure} are touched only
 * there. A subchannel that goes idle is reconnected at once, so instances are ready before calls
 * need them. A subchannel in TRANSIENT_FAILURE stays counted as failed while it retries, until it
 * is READY again, so that the channel's state does not flap between CONNECTING and failure.
 *
 * <p>A name resolution error keeps the instances there are (the registry being down must not
 * stop calls to servers that are up); with none ready, calls fail with the error.
 */
final class InstanceBalancer extends LoadBalancer {

  private final Helper helper;
  private final BalancingPolicy policy;
  private final Outliers outliers;
  private final AtomicInteger turn = new AtomicInteger(ThreadLocalRandom.current().nextInt());
  private final Map<EquivalentAddressGroup, Instance> instances = new LinkedHashMap<>();
  private ConnectivityState state;
  private Status lastFailure;
  private boolean shutdown;

  InstanceBalancer(Helper helper, BalancingPolicy policy, Outliers outliers) {
    this.helper = helper;
    this.policy = policy;
    this.outliers = outliers;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    if (shutdown) {
      return Status.OK;
    }
    List<EquivalentAddressGroup> groups = resolved.getAddresses();
    if (groups.isEmpty()) {
      Status empty = Status.UNAVAILABLE.withDescription("the name resolver gave no address for "
          + helper.getAuthority());
      handleNameResolutionError(empty);
      return empty;
    }
    Object config = resolved.getLoadBalancingPolicyConfig();
    outliers.configure(
        config instanceof OutlierEjection ? (OutlierEjection) config : OutlierEjection.defaults());

    Map<EquivalentAddressGroup, EquivalentAddressGroup> wanted = new LinkedHashMap<>();
    for (EquivalentAddressGroup group : groups) {
      // Attributes take no part in identity: the same address is the same instance.
      wanted.putIfAbsent(new EquivalentAddressGroup(group.getAddresses()), group);
    }
    instances.entrySet().removeIf(e -> {
      if (wanted.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().subchannel.shutdown();
      return true;
    });
    for (Map.Entry<EquivalentAddressGroup, EquivalentAddressGroup> e : wanted.entrySet()) {
      if (!instances.containsKey(e.getKey())) {
        instances.put(e.getKey(), connect(e.getKey(), e.getValue()));
      }
    }
    outliers.members(new ArrayList<>(instances.values()));
    updateState();
    return Status.OK;
  }

  private Instance connect(EquivalentAddressGroup key, EquivalentAddressGroup group) {
    Subchannel subchannel = helper.createSubchannel(
        CreateSubchannelArgs.newBuilder().setAddresses(group).build());
    Instance instance = new Instance(key, subchannel, outliers);
    subchannel.start(info -> onSubchannelState(instance, info));
    subchannel.requestConnection();
    return instance;
  }

  private void onSubchannelState(Instance instance, ConnectivityStateInfo info) {
    if (shutdown || instances.get(instance.key) != instance) {
      return; // removed; its last states mean nothing
    }
    ConnectivityState next = info.getState();
    switch (next) {
      case SHUTDOWN:
        return;
      case TRANSIENT_FAILURE:
        lastFailure = info.getStatus();
        helper.refreshNameResolution();
        break;
      case IDLE:
        instance.subchannel.requestConnection();
        next = ConnectivityState.CONNECTING;
        break;
      default:
        break;
    }
    if (instance.state == ConnectivityState.TRANSIENT_FAILURE
        && next == ConnectivityState.CONNECTING) {
      return;
    }
    instance.state = next;
    updateState();
  }

  private void updateState() {
    List<Instance> ready = new ArrayList<>();
    boolean connecting = false;
    for (Instance instance : instances.values()) {
      if (instance.state == ConnectivityState.READY) {
        ready.add(instance);
      } else if (instance.state == ConnectivityState.CONNECTING) {
        connecting = true;
      }
    }
    if (!ready.isEmpty()) {
      report(ConnectivityState.READY, new InstancePicker(ready, policy, outliers, turn));
    } else if (connecting) {
      report(ConnectivityState.CONNECTING, new FixedPicker(PickResult.withNoResult()));
    } else {
      Status failure = lastFailure == null ? Status.UNAVAILABLE : lastFailure;
      report(ConnectivityState.TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(
          Status.UNAVAILABLE.withDescription("no instance of " + helper.getAuthority()
              + " is reachable; " + instances.size() + " tried, the last failure: "
              + failure.getCode() + (failure.getDescription() == null ? ""
                  : " (" + failure.getDescription() + ")"))
              .withCause(failure.getCause()))));
    }
  }

  private void report(ConnectivityState next, SubchannelPicker picker) {
    state = next;
    helper.updateBalancingState(next, picker);
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (shutdown) {
      return;
    }
    if (instances.isEmpty() || state != ConnectivityState.READY) {
      report(ConnectivityState.TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(error)));
    }
  }

  @Override
  public void requestConnection() {
    for (Instance instance : instances.values()) {
      instance.subchannel.requestConnection();
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (Instance instance : instances.values()) {
      instance.subchannel.shutdown();
    }
    instances.clear();
    outliers.members(List.of());
  }

  /** The same answer for every pick: wait for a ready instance, or an error. */
  private static final class FixedPicker extends SubchannelPicker {
    private final PickResult result;

    FixedPicker(PickResult result) {
      this.result = result;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }

    @Override
    public String toString() {
      return "FixedPicker{" + result + "}";
    }
  }
}
