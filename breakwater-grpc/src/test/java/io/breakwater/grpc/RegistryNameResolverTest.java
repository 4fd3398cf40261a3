package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.Registry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegistryNameResolverTest {

  private static final String SERVICE = "simple.service";

  private final Loopback loopback = new Loopback();
  private final EmbeddedRegistry registry = EmbeddedRegistry.create();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    loopback.close();
    registry.close();
  }

  private ManagedChannel channelThroughServiceLoader(Registry r) {
    ManagedChannel channel = Grpc
        .newChannelBuilder("breakwater://" + SERVICE, InsecureChannelCredentials.create())
        .setNameResolverArg(RegistryNameResolverProvider.REGISTRY, r)
        .defaultLoadBalancingPolicy("round_robin")
        .build();
    channels.add(channel);
    return channel;
  }

  private static String call(ManagedChannel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .unaryRpc(TestService.request("x")).getResponseMessage();
  }

  @Test
  void channelFollowsTheRegistryAsInstancesComeAndGo() {
    TestService a = new TestService();
    TestService b = new TestService();
    int portA = loopback.serve(a);
    int portB = loopback.serve(b);
    registry.register(ServiceInstance.of("a", SERVICE, "127.0.0.1", portA));
    ManagedChannel channel = channelThroughServiceLoader(registry);

    assertThat(call(channel)).isEqualTo("hello x");
    assertThat(a.received).hasValue(1);

    registry.register(ServiceInstance.of("b", SERVICE, "127.0.0.1", portB));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      call(channel);
      assertThat(b.received).hasPositiveValue();
    });

    registry.deregister("a");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      int before = a.received.get();
      for (int i = 0; i < 4; i++) {
        call(channel);
      }
      assertThat(a.received).hasValue(before);
    });

    assertThat(call(channel)).isEqualTo("hello x");
  }

  @Test
  void providerBuiltWithARegistryServesChannelsProgrammatically() {
    TestService a = new TestService();
    registry.register(ServiceInstance.of("a", SERVICE, "127.0.0.1", loopback.serve(a)));
    NameResolverRegistry resolvers = new NameResolverRegistry();
    resolvers.register(new RegistryNameResolverProvider(registry));
    ManagedChannel channel = Grpc.newChannelBuilder(
        RegistryNameResolverProvider.target(SERVICE), InsecureChannelCredentials.create(),
        resolvers).build();
    channels.add(channel);

    assertThat(call(channel)).isEqualTo("hello x");
    assertThat(a.received).hasValue(1);
  }

  @Test
  void providerIsRegisteredThroughMetaInfServices() {
    assertThat(ServiceLoader.load(NameResolverProvider.class).stream()
        .map(p -> p.type().getName()))
        .contains(RegistryNameResolverProvider.class.getName());
  }

  @Test
  void channelWithoutARegistryFailsNamingTheTarget() {
    assertThatThrownBy(() -> channels.add(Grpc.newChannelBuilder(
        "breakwater://" + SERVICE, InsecureChannelCredentials.create()).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("breakwater://" + SERVICE)
        .hasMessageContaining("RegistryNameResolverProvider.REGISTRY");
  }

  @Test
  void targetsThatNameNoServiceAreRefusedNamingTheTarget() {
    RegistryNameResolverProvider provider = new RegistryNameResolverProvider(registry);
    for (String bad : List.of("breakwater://", "breakwater:///", "breakwater://svc/extra",
        "breakwater:///a/b", "breakwater://svc?x=1", "breakwater://user@svc")) {
      assertThatThrownBy(() -> provider.newNameResolver(URI.create(bad), args()))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
    assertThat(provider.newNameResolver(URI.create("dns:///svc"), args())).isNull();
    assertThat(provider.newNameResolver(URI.create("breakwater:///svc"), args())
        .getServiceAuthority()).isEqualTo("svc");
    assertThat(RegistryNameResolverProvider.target("svc")).isEqualTo("breakwater://svc");
  }

  @Test
  void registryFailureKeepsTheLastGoodListAndAFirstFailureIsReported() {
    FlakyRegistry flaky = new FlakyRegistry(registry);
    registry.register(ServiceInstance.of("a", SERVICE, "127.0.0.1", 4711));
    RecordingListener listener = new RecordingListener();
    NameResolver resolver = new RegistryNameResolverProvider(flaky)
        .newNameResolver(URI.create("breakwater://" + SERVICE), args());
    resolver.start(listener);
    assertThat(listener.ports()).containsExactly(List.of(4711));

    flaky.failing = true;
    resolver.refresh();
    assertThat(listener.ports()).containsExactly(List.of(4711));
    assertThat(listener.errors).isEmpty();

    NameResolver second = new RegistryNameResolverProvider(flaky)
        .newNameResolver(URI.create("breakwater://" + SERVICE), args());
    RecordingListener secondListener = new RecordingListener();
    second.start(secondListener);
    assertThat(secondListener.errors).singleElement().satisfies(s -> {
      assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.getDescription()).contains("'" + SERVICE + "'").contains("registry down");
    });

    flaky.failing = false;
    second.refresh();
    assertThat(secondListener.ports()).containsExactly(List.of(4711));
    registry.register(ServiceInstance.of("b", SERVICE, "127.0.0.1", 4712));
    assertThat(secondListener.ports()).last().isEqualTo(List.of(4711, 4712));

    registry.deregister("a");
    registry.deregister("b");
    assertThat(secondListener.errors).last().satisfies(s -> {
      assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.getDescription()).isEqualTo(
          "no healthy instance of service '" + SERVICE + "' in the registry");
    });

    resolver.shutdown();
    second.shutdown();
    int before = secondListener.results.size();
    registry.register(ServiceInstance.of("c", SERVICE, "127.0.0.1", 4713));
    assertThat(secondListener.results).hasSize(before);
  }

  private static NameResolver.Args args() {
    return NameResolver.Args.newBuilder()
        .setDefaultPort(443)
        .setProxyDetector(address -> null)
        .setSynchronizationContext(new SynchronizationContext((t, e) -> {
          throw new AssertionError("uncaught in synchronization context", e);
        }))
        .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
          @Override
          public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
            return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
          }
        })
        .build();
  }

  /** Records what a resolver tells its channel. */
  private static final class RecordingListener extends NameResolver.Listener2 {
    final List<List<EquivalentAddressGroup>> results = new CopyOnWriteArrayList<>();
    final List<Status> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onResult(NameResolver.ResolutionResult result) {
      if (result.getAddressesOrError().hasValue()) {
        results.add(result.getAddressesOrError().getValue());
      } else {
        errors.add(result.getAddressesOrError().getStatus());
      }
    }

    @Override
    public void onError(Status error) {
      errors.add(error);
    }

    List<List<Integer>> ports() {
      List<List<Integer>> ports = new ArrayList<>();
      for (List<EquivalentAddressGroup> groups : results) {
        List<Integer> p = new ArrayList<>();
        for (EquivalentAddressGroup g : groups) {
          p.add(((InetSocketAddress) g.getAddresses().get(0)).getPort());
        }
        ports.add(p);
      }
      return ports;
    }
  }

  /** A registry that can be made to fail every lookup, as an unreachable Consul would. */
  private static final class FlakyRegistry implements Registry {
    private final Registry delegate;
    volatile boolean failing;

    FlakyRegistry(Registry delegate) {
      this.delegate = delegate;
    }

    private void check() {
      if (failing) {
        throw new IllegalStateException("registry down");
      }
    }

    @Override
    public void register(ServiceInstance instance) {
      check();
      delegate.register(instance);
    }

    @Override
    public void deregister(String instanceId) {
      check();
      delegate.deregister(instanceId);
    }

    @Override
    public List<ServiceInstance> instances(String serviceName) {
      check();
      return delegate.instances(serviceName);
    }

    @Override
    public Watch watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
      check();
      return delegate.watch(serviceName, listener);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
