package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Channels built by {@link ServiceChannels} balance by P2C and eject outliers by default. */
class ServiceChannelsTest {

  private static final String SERVICE = "channels.service";

  private final Loopback loopback = new Loopback();
  private final EmbeddedRegistry registry = EmbeddedRegistry.create();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<TestService> servers = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    loopback.close();
    registry.close();
  }

  private void serve(int count) {
    for (int i = 0; i < count; i++) {
      TestService server = new TestService();
      servers.add(server);
      registry.register(ServiceInstance.of("c" + i, SERVICE, "127.0.0.1",
          loopback.serve(server)));
    }
  }

  private ManagedChannel build(ManagedChannelBuilder<?> builder) {
    ManagedChannel channel = builder.build();
    channels.add(channel);
    return channel;
  }

  private static String call(ManagedChannel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .unaryRpc(TestService.request("x")).getResponseMessage();
  }

  private void warmUp(ManagedChannel channel) {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      call(channel);
      return servers.stream().allMatch(s -> s.received.get() > 0);
    });
  }

  @Test
  void byDefaultCallsGoByPowerOfTwoChoicesAvoidingAnInstanceWithACallOutstanding() {
    serve(2);
    ManagedChannel channel = build(ServiceChannels.forService(SERVICE, registry));
    // gRPC's own default (pick_first) would never reach the second instance.
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.HANG;
    int hangingBefore = servers.get(0).received.get();
    int answeringBefore = servers.get(1).received.get();

    for (int i = 0; i < 20; i++) {
      int hangingSeen = servers.get(0).received.get();
      var answer = ClientCalls.futureUnaryCall(
          channel.newCall(SimpleServiceGrpc.getUnaryRpcMethod(),
              io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
          TestService.request("x"));
      await().atMost(Duration.ofSeconds(5))
          .until(() -> answer.isDone() || servers.get(0).received.get() > hangingSeen);
    }

    // Round robin would send every other call to the hanging instance; P2C sends it one.
    assertThat(servers.get(0).received.get() - hangingBefore).isEqualTo(1);
    assertThat(servers.get(1).received.get() - answeringBefore).isEqualTo(19);
  }

  @Test
  void byDefaultAnInstanceFailingEveryCallIsEjected() {
    serve(3);
    ManagedChannel channel = build(ServiceChannels.forService(SERVICE, registry));
    warmUp(channel);
    servers.get(0).mode = TestService.Mode.FAIL;

    int failed = 0;
    for (int i = 0; i < 200; i++) {
      try {
        call(channel);
      } catch (StatusRuntimeException e) {
        failed++;
      }
    }
    // Five failures in a row eject it; without ejection about a third of 200 calls would fail.
    assertThat(failed).isEqualTo(5);
  }

  @Test
  void theChannelsOwnPolicyWinsOverTheDefault() {
    serve(3);
    ManagedChannel channel = build(ServiceChannels.forService(SERVICE, registry)
        .defaultLoadBalancingPolicy(BalancingPolicy.ROUND_ROBIN.policyName()));
    warmUp(channel);
    int[] before = servers.stream().mapToInt(s -> s.received.get()).toArray();

    for (int i = 0; i < 30; i++) {
      assertThat(call(channel)).isEqualTo("hello x");
    }

    for (int i = 0; i < 3; i++) {
      assertThat(servers.get(i).received.get() - before[i]).as("server " + i).isEqualTo(10);
    }
  }

  @Test
  void missingArgumentsAreNamed() {
    assertThatThrownBy(() -> ServiceChannels.forService(SERVICE, null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("registry");
    assertThatThrownBy(() -> ServiceChannels.forService("bad/name", registry))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad/name");
  }
}
