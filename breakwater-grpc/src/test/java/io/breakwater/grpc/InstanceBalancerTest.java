package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The balancing policies on real channels to real servers on 127.0.0.1. */
class InstanceBalancerTest {

  private static final String SERVICE = "balanced.service";
  private static final AtomicInteger NAMES = new AtomicInteger();

  private final Loopback loopback = new Loopback();
  private final EmbeddedRegistry registry = EmbeddedRegistry.create();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<InstanceBalancerProvider> registered = new ArrayList<>();
  private final List<TestService> servers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final AtomicLong now = new AtomicLong();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private BreakwaterRuntime runtime;

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    registered.forEach(LoadBalancerRegistry.getDefaultRegistry()::deregister);
    loopback.close();
    registry.close();
    if (runtime != null) {
      runtime.close();
    }
  }

  private void serve(int count) {
    for (int i = 0; i < count; i++) {
      TestService server = new TestService();
      int port = loopback.serve(server);
      servers.add(server);
      ports.add(port);
      registry.register(ServiceInstance.of("s" + i, SERVICE, "127.0.0.1", port));
    }
  }

  /** A provider on the fake clock, reporting to {@code events}, under a name of its own. */
  private String fakeClockPolicy(BalancingPolicy policy) {
    InstanceBalancerProvider provider = InstanceBalancerProvider.builder(policy)
        .policyName("test_" + policy.name().toLowerCase() + "_" + NAMES.incrementAndGet())
        .ticker(now::get)
        .listener(new BalancerListener() {
          @Override
          public void onEjected(Ejection e) {
            events.add("ejected " + serverOf(e.address()) + " for "
                + e.duration().toSeconds() + "s");
          }

          @Override
          public void onReturned(SocketAddress address) {
            events.add("returned " + serverOf(address));
          }
        })
        .build();
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    registered.add(provider);
    return provider.getPolicyName();
  }

  private int serverOf(SocketAddress address) {
    return ports.indexOf(((InetSocketAddress) address).getPort());
  }

  private ManagedChannel channel(String policy, Map<String, ?> serviceConfig,
      ClientInterceptor... interceptors) {
    ManagedChannelBuilder<?> b = Grpc
        .newChannelBuilder(RegistryNameResolverProvider.target(SERVICE),
            InsecureChannelCredentials.create())
        .setNameResolverArg(RegistryNameResolverProvider.REGISTRY, registry)
        .defaultLoadBalancingPolicy(policy)
        .intercept(interceptors);
    if (serviceConfig != null) {
      b.defaultServiceConfig(serviceConfig);
    }
    ManagedChannel channel = b.build();
    channels.add(channel);
    return channel;
  }

  private static SimpleServiceGrpc.SimpleServiceBlockingStub stub(ManagedChannel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  /** Calls until every server has answered once, so that every instance is connected. */
  private void warmUp(ManagedChannel channel) {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      stub(channel).unaryRpc(TestService.request("warm-up"));
      return servers.stream().allMatch(s -> s.received.get() > 0);
    });
  }

  private int[] received() {
    return servers.stream().mapToInt(s -> s.received.get()).toArray();
  }

  /** Makes {@code calls} calls and answers how many failed. */
  private int calls(ManagedChannel channel, int calls) {
    int failed = 0;
    for (int i = 0; i < calls; i++) {
      try {
        stub(channel).unaryRpc(TestService.request("x"));
      } catch (StatusRuntimeException e) {
        failed++;
      }
    }
    return failed;
  }

  @Test
  void roundRobinFromTheServiceLoaderTakesEachInstanceInTurn() {
    serve(3);
    ManagedChannel channel = channel(BalancingPolicy.ROUND_ROBIN.policyName(), null);
    warmUp(channel);
    int[] before = received();

    assertThat(calls(channel, 30)).isZero();

    int[] after = received();
    for (int i = 0; i < 3; i++) {
      assertThat(after[i] - before[i]).as("server " + i).isEqualTo(10);
    }
  }

  @Test
  void powerOfTwoChoicesFromTheServiceLoaderSpreadsCallsOverEveryInstance() {
    serve(3);
    ManagedChannel channel = channel(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName(), null);
    warmUp(channel);
    int[] before = received();

    assertThat(calls(channel, 300)).isZero();

    int[] after = received();
    for (int i = 0; i < 3; i++) {
      // Uniform choice among idle instances: 100 expected each; 50 is over 7 sigma away.
      assertThat(after[i] - before[i]).as("server " + i).isGreaterThan(50);
    }
  }

  @Test
  void powerOfTwoChoicesSendsNothingMoreToAnInstanceHoldingACallOutstanding() {
    serve(2);
    ManagedChannel channel = channel(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName(), null);
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.HANG;
    int hangingBefore = servers.get(0).received.get();
    int answeringBefore = servers.get(1).received.get();
    SimpleServiceGrpc.SimpleServiceStub async = SimpleServiceGrpc.newStub(channel);

    for (int i = 0; i < 40; i++) {
      int hangingSeen = servers.get(0).received.get();
      var answer = ClientCalls.futureUnaryCall(
          channel.newCall(SimpleServiceGrpc.getUnaryRpcMethod(), async.getCallOptions()),
          TestService.request("x"));
      // Answered by the answering server, or held by the hanging one.
      await().atMost(Duration.ofSeconds(5))
          .until(() -> answer.isDone() || servers.get(0).received.get() > hangingSeen);
    }

    // The first call that went to the hanging server is still outstanding there, so every
    // later draw of the two instances prefers the other one.
    assertThat(servers.get(0).received.get() - hangingBefore).isEqualTo(1);
    assertThat(servers.get(1).received.get() - answeringBefore).isEqualTo(39);
  }

  @Test
  void aFailingInstanceIsEjectedAfterFiveFailuresAndComesBackAfterThirtySeconds() {
    serve(3);
    ManagedChannel channel = channel(fakeClockPolicy(BalancingPolicy.POWER_OF_TWO_CHOICES), null);
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.FAIL;
    int before = servers.get(0).received.get();

    int failed = calls(channel, 200);

    assertThat(failed).isEqualTo(5);
    assertThat(servers.get(0).received.get() - before).isEqualTo(5);
    await().atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(events).containsExactly("ejected 0 for 30s"));

    servers.get(0).mode = TestService.Mode.ANSWER;
    now.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(calls(channel, 30)).isZero();
    assertThat(servers.get(0).received.get() - before).isEqualTo(5);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(calls(channel, 60)).isZero();
    assertThat(servers.get(0).received.get() - before).isGreaterThan(5);
    await().atMost(Duration.ofSeconds(2)).untilAsserted(
        () -> assertThat(events).containsExactly("ejected 0 for 30s", "returned 0"));
  }

  @Test
  void withTwoOfThreeFailingOnlyOneIsEjected() {
    serve(3);
    ManagedChannel channel = channel(fakeClockPolicy(BalancingPolicy.ROUND_ROBIN), null);
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.FAIL;
    servers.get(1).mode = TestService.Mode.FAIL;

    calls(channel, 60);
    int[] before = received();
    calls(channel, 30);
    int[] after = received();

    assertThat(events).hasSize(1);
    int ejected = events.get(0).equals("ejected 0 for 30s") ? 0 : 1;
    assertThat(after[ejected] - before[ejected]).isZero();
    assertThat(after[1 - ejected] - before[1 - ejected]).isEqualTo(15);
    assertThat(after[2] - before[2]).isEqualTo(15);
  }

  @Test
  void aCommandTimeoutCountsAgainstTheHangingInstanceButACallerCancelDoesNot() throws Exception {
    serve(2);
    runtime = BreakwaterRuntime.create();
    CommandInterceptor interceptor = CommandInterceptor.builder().runtime(runtime)
        .config(SimpleServiceGrpc.getUnaryRpcMethod(), CommandConfig.builder()
            .isolation(Isolation.SEMAPHORE).timeoutMillis(200).requestVolumeThreshold(1000)
            .build())
        .fallback(SimpleServiceGrpc.getUnaryRpcMethod(),
            (request, kind, cause) -> TestService.response("fallback"))
        .build();
    ManagedChannel channel =
        channel(fakeClockPolicy(BalancingPolicy.ROUND_ROBIN), null, interceptor);
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.HANG;

    // Cancelled by the caller: ten calls go to the hanging server, none counts.
    for (int i = 0; i < 20; i++) {
      var answer = ClientCalls.futureUnaryCall(
          channel.newCall(SimpleServiceGrpc.getUnaryRpcMethod(),
              SimpleServiceGrpc.newStub(channel).getCallOptions()),
          TestService.request("x"));
      try {
        answer.get(100, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        answer.cancel(true);
      }
    }
    assertThat(events).isEmpty();

    // Timed out by the command: the fifth timeout ejects it.
    int hung = servers.get(0).received.get();
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(stub(channel).unaryRpc(TestService.request("x")).getResponseMessage());
    }

    assertThat(servers.get(0).received.get() - hung).isEqualTo(5);
    assertThat(answers.stream().filter("fallback"::equals)).hasSize(5);
    await().atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(events).containsExactly("ejected 0 for 30s"));
  }

  @Test
  void theServiceConfigSetsTheEjectionSettings() {
    serve(3);
    String policy = fakeClockPolicy(BalancingPolicy.POWER_OF_TWO_CHOICES);
    ManagedChannel channel = channel(policy, InstanceBalancerProvider.serviceConfig(policy,
        OutlierEjection.builder().consecutiveFailures(2)
            .baseEjectionTime(Duration.ofSeconds(7)).build()));
    warmUp(channel);
    servers.get(1).mode = TestService.Mode.FAIL;

    assertThat(calls(channel, 100)).isEqualTo(2);
    await().atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(events).containsExactly("ejected 1 for 7s"));
  }

  @Test
  void aBadServiceConfigFailsTheChannelBuildNamingTheKey() {
    assertThatThrownBy(() -> channel(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName(),
        Map.of("loadBalancingConfig",
            List.of(Map.of("breakwater_p2c", Map.of("consecutiveFailure", 3.0))))))
        .hasMessageContaining("unknown key 'consecutiveFailure'");
  }

  @Test
  void aSingleInstanceIsNeverEjected() {
    serve(1);
    ManagedChannel channel = channel(fakeClockPolicy(BalancingPolicy.POWER_OF_TWO_CHOICES), null);
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.FAIL;

    assertThat(calls(channel, 20)).isEqualTo(20);
    assertThat(events).isEmpty();
    servers.get(0).mode = TestService.Mode.ANSWER;
    SimpleResponse answer = stub(channel).unaryRpc(TestService.request("y"));
    assertThat(answer.getResponseMessage()).isEqualTo("hello y");
  }

  @Test
  void instancesLeavingTheRegistryOrDyingGetNoMoreCalls() throws Exception {
    serve(3);
    ManagedChannel channel = channel(BalancingPolicy.POWER_OF_TWO_CHOICES.policyName(), null);
    warmUp(channel);

    registry.deregister("s0");
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      int before = servers.get(0).received.get();
      calls(channel, 20);
      return servers.get(0).received.get() == before;
    });
    int[] before = received();
    assertThat(calls(channel, 60)).isZero();
    int[] after = received();
    assertThat(after[0]).isEqualTo(before[0]);
    assertThat(after[1] - before[1]).isPositive();
    assertThat(after[2] - before[2]).isPositive();

    // A crashed instance still registered: its connection fails and calls go elsewhere.
    loopback.kill(ports.get(1));
    int failed = calls(channel, 60);
    assertThat(failed).isLessThanOrEqualTo(1); // at most a call already on its way to it
    int[] last = received();
    assertThat(last[2] - after[2]).isGreaterThanOrEqualTo(59);
  }
}
