package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServiceRunnerTest {

  private static final String SERVICE = "runner.service";

  private final EmbeddedRegistry registry = EmbeddedRegistry.create();
  private final TestService service = new TestService();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<ServiceRunner> runners = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    runners.forEach(ServiceRunner::close);
    registry.close();
  }

  private ServiceRunner start(ServiceRunner.Builder builder) {
    ServiceRunner runner = builder.start();
    runners.add(runner);
    return runner;
  }

  private ManagedChannel channelTo(int port) {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port,
        InsecureChannelCredentials.create()).build();
    channels.add(channel);
    return channel;
  }

  private static List<String> runnerThreads(ServiceRunner runner) {
    List<String> names = new ArrayList<>();
    String prefix = "breakwater-grpc-" + runner.instance().service() + "-";
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith(prefix)) {
        names.add(t.getName());
      }
    }
    return names;
  }

  @Test
  void startServesOnLoopbackRegistersAndCloseDeregistersAndStops() {
    ServiceRunner runner = start(ServiceRunner.builder(SERVICE).registry(registry)
        .addService(service));
    ServiceInstance instance = runner.instance();

    assertThat(instance.service()).isEqualTo(SERVICE);
    assertThat(instance.address()).isEqualTo("127.0.0.1");
    assertThat(instance.port()).isPositive().isEqualTo(runner.port());
    assertThat(instance.id()).startsWith(SERVICE + "-" + runner.port() + "-");
    assertThat(runner.boundAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(registry.instances(SERVICE)).containsExactly(instance);

    ManagedChannel channel = channelTo(runner.port());
    SimpleResponse response = SimpleServiceGrpc.newBlockingStub(channel)
        .unaryRpc(TestService.request("runner"));
    assertThat(response.getResponseMessage()).isEqualTo("hello runner");
    assertThat(HealthGrpc.newBlockingStub(channel)
        .check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
        .setService("grpc.testing.SimpleService").build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(runnerThreads(runner)).isNotEmpty();

    runner.close();

    assertThat(registry.instances(SERVICE)).isEmpty();
    assertThat(runner.isRunning()).isFalse();
    assertThatThrownBy(() -> SimpleServiceGrpc.newBlockingStub(channelTo(runner.port()))
        .withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(TestService.request("gone")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    await().atMost(Duration.ofSeconds(5)).until(() -> runnerThreads(runner).isEmpty());
    runner.close(); // idempotent
  }

  @Test
  void runnersOfOneServiceGetUniqueIdsAndPorts() {
    ServiceRunner a = start(ServiceRunner.builder(SERVICE).registry(registry).addService(service));
    ServiceRunner b = start(ServiceRunner.builder(SERVICE).registry(registry).addService(service));

    assertThat(a.instance().id()).isNotEqualTo(b.instance().id());
    assertThat(a.port()).isNotEqualTo(b.port());
    assertThat(registry.instances(SERVICE)).containsExactlyInAnyOrder(a.instance(), b.instance());
  }

  @Test
  void registrationLostWhileRunningIsRenewed() {
    AtomicLong now = new AtomicLong();
    EmbeddedRegistry manual = EmbeddedRegistry.builder().ticker(now::get)
        .ttl(Duration.ofSeconds(10)).heartbeatInterval(Duration.ofSeconds(1))
        .automaticHeartbeats(false).build();
    try {
      ServiceRunner runner = start(ServiceRunner.builder(SERVICE).registry(manual)
          .addService(service));
      assertThat(manual.instances(SERVICE)).containsExactly(runner.instance());

      now.addAndGet(Duration.ofSeconds(11).toNanos()); // a pause longer than the TTL
      manual.evictExpired();

      assertThat(manual.instances(SERVICE)).containsExactly(runner.instance());
      runner.close();
      assertThat(manual.instances(SERVICE)).isEmpty();
    } finally {
      manual.close();
    }
  }

  @Test
  void closeCancelsCallsStillRunningAfterTheShutdownTimeout() {
    service.mode = TestService.Mode.HANG;
    ServiceRunner runner = start(ServiceRunner.builder(SERVICE).registry(registry)
        .addService(service).shutdownTimeout(Duration.ofMillis(200)));
    var pending = SimpleServiceGrpc.newFutureStub(channelTo(runner.port()))
        .unaryRpc(TestService.request("stuck"));
    await().atMost(Duration.ofSeconds(5)).until(() -> service.received.get() == 1);

    long start = System.nanoTime();
    runner.close();
    long tookMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(tookMillis).isLessThan(2_000);
    assertThat(service.cancelled).hasValue(1);
    await().atMost(Duration.ofSeconds(5)).until(pending::isDone);
    assertThat(registry.instances(SERVICE)).isEmpty();
  }

  @Test
  void busyPortFailsNamingTheServiceAndAddressWithoutRegistering() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> start(ServiceRunner.builder(SERVICE).registry(registry)
          .addService(service).port(taken.getLocalPort())))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining(SERVICE)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
    }
    assertThat(registry.instances(SERVICE)).isEmpty();
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    assertThatThrownBy(() -> ServiceRunner.builder(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("serviceName");
    assertThatThrownBy(() -> ServiceRunner.builder(SERVICE).port(70_000))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port")
        .hasMessageContaining("70000");
    assertThatThrownBy(() -> ServiceRunner.builder(SERVICE).addService(service).start())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("registry");
    assertThatThrownBy(() -> ServiceRunner.builder(SERVICE).registry(registry).start())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("addService");
    assertThatThrownBy(() -> ServiceRunner.builder(SERVICE).registry(registry)
        .addService(service).bindAddress("0.0.0.0").start())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("advertisedAddress");
    assertThatThrownBy(() -> ServiceRunner.builder(SERVICE).shutdownTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shutdownTimeout");
  }
}
