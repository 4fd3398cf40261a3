package io.breakwater.grpc;

import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses among the ready instances not ejected: power of two choices on outstanding calls, or
 * round robin. Immutable but for the shared turn counter; called from any thread.
 */
final class InstancePicker extends SubchannelPicker {

  private final Instance[] ready;
  private final BalancingPolicy policy;
  private final Outliers outliers;
  private final AtomicInteger turn;

  InstancePicker(List<Instance> ready, BalancingPolicy policy, Outliers outliers,
      AtomicInteger turn) {
    this.ready = ready.toArray(new Instance[0]);
    this.policy = policy;
    this.outliers = outliers;
    this.turn = turn;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    Instance[] candidates = outliers.anyEjected() ? outliers.inRotation(ready) : ready;
    Instance chosen = policy == BalancingPolicy.ROUND_ROBIN
        ? candidates[Math.floorMod(turn.getAndIncrement(), candidates.length)]
        : lessLoadedOfTwo(candidates);
    return PickResult.withSubchannel(chosen.subchannel, chosen.tracers);
  }

  private static Instance lessLoadedOfTwo(Instance[] candidates) {
    int n = candidates.length;
    if (n == 1) {
      return candidates[0];
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++; // two distinct instances, each pair equally likely
    }
    Instance first = candidates[a];
    Instance second = candidates[b];
    return second.outstanding.get() < first.outstanding.get() ? second : first;
  }

  /** The instances this picker chooses from, for tests. */
  List<Instance> ready() {
    return List.of(ready);
  }

  @Override
  public String toString() {
    return "InstancePicker{" + policy.policyName() + ", ready=" + List.of(ready) + "}";
  }
}
