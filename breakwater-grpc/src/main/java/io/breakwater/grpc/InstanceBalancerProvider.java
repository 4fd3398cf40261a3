package io.breakwater.grpc;

import io.breakwater.discovery.Ticker;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The instance balancer as a gRPC load balancing policy: one connection per instance, each call
 * sent to an instance chosen by the {@link BalancingPolicy}, and instances that keep failing
 * ejected for a while ({@link OutlierEjection}).
 *
 * <p>Two policies are registered through {@code META-INF/services}: {@code breakwater_p2c}
 * (power of two choices, the one to use) and {@code breakwater_round_robin}.
 *
 * <pre>{@code
 * ManagedChannel channel = Grpc.newChannelBuilder("breakwater://example.service", credentials)
 *     .setNameResolverArg(RegistryNameResolverProvider.REGISTRY, registry)
 *     .defaultLoadBalancingPolicy("breakwater_p2c")                        // default ejection
 *     .build();
 *
 * // Other ejection settings, through the channel's default service config:
 *     .defaultServiceConfig(InstanceBalancerProvider.serviceConfig("breakwater_p2c",
 *         OutlierEjection.builder().consecutiveFailures(3).build()))
 * }</pre>
 *
 * <p>To hear of ejections, or to run ejection time on a test clock, build a provider under a
 * name of your own and register it: {@code LoadBalancerRegistry.getDefaultRegistry().register(
 * InstanceBalancerProvider.builder(BalancingPolicy.POWER_OF_TWO_CHOICES).policyName("my_p2c")
 * .listener(listener).build())}, then ask channels for {@code my_p2c}.
 *
 * <p>The class is not final only so that its two registered forms can be nested in it.
 */
public class InstanceBalancerProvider extends LoadBalancerProvider {

  /** Priority among providers of the same name: gRPC's suggested default. */
  public static final int PRIORITY = 5;

  private final BalancingPolicy policy;
  private final String policyName;
  private final Ticker ticker;
  private final BalancerListener listener;

  private InstanceBalancerProvider(Builder b) {
    this.policy = b.policy;
    this.policyName = b.policyName != null ? b.policyName : b.policy.policyName();
    this.ticker = b.ticker;
    this.listener = b.listener;
  }

  /** A builder for a provider choosing by {@code policy}. */
  public static Builder builder(BalancingPolicy policy) {
    return new Builder(policy);
  }

  /**
   * A gRPC service config selecting {@code policyName} with these ejection settings, for {@code
   * ManagedChannelBuilder.defaultServiceConfig}.
   */
  public static Map<String, ?> serviceConfig(String policyName, OutlierEjection ejection) {
    Objects.requireNonNull(policyName, "policyName must not be null");
    Objects.requireNonNull(ejection, "ejection must not be null");
    return Map.of("loadBalancingConfig", List.of(Map.of(policyName, ejection.toServiceConfig())));
  }

  public BalancingPolicy policy() {
    return policy;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return PRIORITY;
  }

  @Override
  public String getPolicyName() {
    return policyName;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    Outliers outliers = new Outliers(ticker, helper.getSynchronizationContext(), listener,
        helper.getAuthority());
    return new InstanceBalancer(helper, policy, outliers);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    try {
      return ConfigOrError.fromConfig(OutlierEjection.fromServiceConfig(rawConfig));
    } catch (IllegalArgumentException e) {
      return ConfigOrError.fromError(Status.INVALID_ARGUMENT
          .withDescription("load balancing policy " + policyName + ": " + e.getMessage())
          .withCause(e));
    }
  }

  /** {@code breakwater_p2c}, found through {@code META-INF/services}. */
  public static final class PowerOfTwoChoices extends InstanceBalancerProvider {
    public PowerOfTwoChoices() {
      super(builder(BalancingPolicy.POWER_OF_TWO_CHOICES));
    }
  }

  /** {@code breakwater_round_robin}, found through {@code META-INF/services}. */
  public static final class RoundRobin extends InstanceBalancerProvider {
    public RoundRobin() {
      super(builder(BalancingPolicy.ROUND_ROBIN));
    }
  }

  /** Settings of a provider. Not thread-safe. */
  public static final class Builder {
    private final BalancingPolicy policy;
    private String policyName;
    private Ticker ticker = Ticker.system();
    private BalancerListener listener;

    private Builder(BalancingPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy must not be null");
    }

    /** The name channels ask for; default the policy's own ({@code breakwater_p2c}, ...). */
    public Builder policyName(String name) {
      Objects.requireNonNull(name, "policyName must not be null");
      if (name.isBlank()) {
        throw new IllegalArgumentException("policyName must not be blank, was '" + name + "'");
      }
      this.policyName = name;
      return this;
    }

    /** The clock of ejection times; default {@link Ticker#system()}. For tests. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker must not be null");
      return this;
    }

    /** Told of every ejection and return on the channels of this provider. */
    public Builder listener(BalancerListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener must not be null");
      return this;
    }

    public InstanceBalancerProvider build() {
      return new InstanceBalancerProvider(this);
    }
  }
}
