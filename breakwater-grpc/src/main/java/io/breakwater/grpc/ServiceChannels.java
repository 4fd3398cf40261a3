package io.breakwater.grpc;

import io.breakwater.discovery.Registry;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import java.util.Objects;

/**
 * Channels to a service found in a {@link Registry}, with Breakwater's defaults: every healthy
 * instance of the service, calls spread by power of two choices on outstanding requests
 * ({@code breakwater_p2c}), and an instance failing 5 calls in a row ejected for a while
 * ({@link OutlierEjection#defaults()}).
 *
 * <pre>{@code
 * ManagedChannel channel = ServiceChannels.forService("example.service", registry)
 *     .intercept(CommandInterceptor.create())
 *     .build();
 * }</pre>
 *
 * <p>The answer is an ordinary gRPC channel builder, so everything stays changeable:
 * {@code .defaultLoadBalancingPolicy(BalancingPolicy.ROUND_ROBIN.policyName())} for another
 * policy, or {@code .defaultServiceConfig(InstanceBalancerProvider.serviceConfig(...))} for other
 * ejection settings. A service config sent by the resolver would win over both; Breakwater's
 * resolver sends none.
 */
public final class ServiceChannels {

  private ServiceChannels() {}

  /** A plaintext channel builder for {@code service} (for loopback and trusted networks). */
  public static ManagedChannelBuilder<?> forService(String service, Registry registry) {
    return forService(service, registry, InsecureChannelCredentials.create());
  }

  /** A channel builder for {@code service}, connecting with {@code credentials}. */
  public static ManagedChannelBuilder<?> forService(
      String service, Registry registry, ChannelCredentials credentials) {
    Objects.requireNonNull(registry, "registry must not be null");
    Objects.requireNonNull(credentials, "credentials must not be null");
    return Grpc.newChannelBuilder(RegistryNameResolverProvider.target(service), credentials)
        .setNameResolverArg(RegistryNameResolverProvider.REGISTRY, registry)
        .defaultLoadBalancingPolicy(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName());
  }
}
