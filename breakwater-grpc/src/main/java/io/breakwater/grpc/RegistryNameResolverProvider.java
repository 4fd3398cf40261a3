package io.breakwater.grpc;

import io.breakwater.discovery.Registry;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Resolves {@code breakwater://SERVICE} targets through a {@link Registry}: the channel gets
 * every healthy instance of the service and follows the registry's changes.
 *
 * <p>Two ways to use it:
 *
 * <pre>{@code
 * // 1. Found through META-INF/services; the registry travels with the channel.
 * ManagedChannel channel = Grpc.newChannelBuilder("breakwater://example.service",
 *         InsecureChannelCredentials.create())
 *     .setNameResolverArg(RegistryNameResolverProvider.REGISTRY, registry)
 *     .defaultLoadBalancingPolicy("breakwater_p2c")
 *     .build();
 *
 * // 2. Programmatically, bound to one registry.
 * NameResolverRegistry resolvers = new NameResolverRegistry();
 * resolvers.register(new RegistryNameResolverProvider(registry));
 * ManagedChannel channel = Grpc.newChannelBuilder("breakwater://example.service",
 *     InsecureChannelCredentials.create(), resolvers).build();
 * }</pre>
 *
 * <p>The channel's {@link #REGISTRY} argument wins over the provider's own registry. A target
 * with no registry either way fails when the channel is built, naming the target. {@code
 * breakwater:///SERVICE} (the service as the path) is accepted too. gRPC's default load balancing
 * sends every call to the first instance that connects; ask for {@code breakwater_p2c} (see
 * {@link InstanceBalancerProvider}) or {@code round_robin} to spread calls over all of them.
 */
public final class RegistryNameResolverProvider extends NameResolverProvider {

  /** The URI scheme this provider resolves. */
  public static final String SCHEME = "breakwater";

  /** The registry a channel resolves through, set with {@code setNameResolverArg}. */
  public static final NameResolver.Args.Key<Registry> REGISTRY =
      NameResolver.Args.Key.create("io.breakwater.grpc.registry");

  private final Registry registry;

  /** The provider found through {@code META-INF/services}: channels must pass a registry. */
  public RegistryNameResolverProvider() {
    this.registry = null;
  }

  /** A provider resolving through {@code registry} unless a channel passes its own. */
  public RegistryNameResolverProvider(Registry registry) {
    this.registry = Objects.requireNonNull(registry, "registry must not be null");
  }

  /** The target that resolves {@code service}: {@code breakwater://service}. */
  public static String target(String service) {
    Objects.requireNonNull(service, "service must not be null");
    String target = SCHEME + "://" + service;
    serviceOf(URI.create(target), target);
    return target;
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String service = serviceOf(targetUri, targetUri.toString());
    Registry fromChannel = args.getArg(REGISTRY);
    Registry r = fromChannel != null ? fromChannel : registry;
    if (r == null) {
      throw new IllegalArgumentException("no Registry to resolve " + targetUri + ": set one with "
          + "setNameResolverArg(RegistryNameResolverProvider.REGISTRY, registry) on the channel "
          + "builder, or register a RegistryNameResolverProvider made with a registry");
    }
    return new RegistryNameResolver(service, r, args);
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5; // gRPC's suggested default; no other provider claims this scheme
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  /** The service a target names, or an error naming the target. */
  static String serviceOf(URI uri, String target) {
    String authority = uri.getRawAuthority();
    String path = uri.getRawPath();
    boolean hasPath = path != null && !path.isEmpty() && !path.equals("/");
    String service;
    if (authority != null && !authority.isEmpty() && !hasPath) {
      service = authority;
    } else if ((authority == null || authority.isEmpty()) && hasPath
        && path.indexOf('/', 1) < 0) {
      service = path.substring(1);
    } else {
      service = null;
    }
    if (service == null || service.isBlank() || uri.getRawQuery() != null
        || uri.getRawFragment() != null || service.contains("@") || service.contains("%")) {
      throw new IllegalArgumentException("target '" + target + "' does not name a service: "
          + "expected " + SCHEME + "://SERVICE, for example " + SCHEME + "://example.service");
    }
    return service;
  }
}
