package io.breakwater.grpc;

/**
 * How the instance balancer chooses among the instances in rotation. Each is a gRPC load
 * balancing policy, found by name through {@code META-INF/services}:
 *
 * <pre>{@code
 * Grpc.newChannelBuilder("breakwater://example.service", credentials)
 *     .defaultLoadBalancingPolicy(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName())
 * }</pre>
 */
public enum BalancingPolicy {

  /**
   * Two instances drawn at random, the call going to the one with fewer calls outstanding from
   * this channel. Almost as even as asking every instance, at the cost of two reads; a slow
   * instance accumulates outstanding calls and so is chosen less. The default.
   */
  POWER_OF_TWO_CHOICES("breakwater_p2c"),

  /** Each instance in turn, from a random starting point. */
  ROUND_ROBIN("breakwater_round_robin");

  private final String policyName;

  BalancingPolicy(String policyName) {
    this.policyName = policyName;
  }

  /** The name to give {@code defaultLoadBalancingPolicy} or a service config. */
  public String policyName() {
    return policyName;
  }
}
