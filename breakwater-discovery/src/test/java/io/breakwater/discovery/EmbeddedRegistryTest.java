package io.breakwater.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedRegistryTest {

  private static final ServiceInstance A = ServiceInstance.of("web-1", "web", "127.0.0.1", 8081);
  private static final ServiceInstance B = ServiceInstance.of("web-2", "web", "127.0.0.1", 8082);

  private final AtomicLong nanos = new AtomicLong(1_000);
  private final List<EmbeddedRegistry> opened = new ArrayList<>();

  @AfterEach
  void closeRegistries() {
    opened.forEach(EmbeddedRegistry::close);
  }

  private EmbeddedRegistry manualRegistry() {
    EmbeddedRegistry registry = EmbeddedRegistry.builder()
        .ttl(Duration.ofSeconds(30))
        .heartbeatInterval(Duration.ofSeconds(10))
        .automaticHeartbeats(false)
        .ticker(nanos::get)
        .build();
    opened.add(registry);
    return registry;
  }

  private void advance(Duration duration) {
    nanos.addAndGet(duration.toNanos());
  }

  @Test
  void registeredInstanceIsFoundByServiceName() {
    EmbeddedRegistry registry = manualRegistry();

    registry.register(B);
    registry.register(A);
    registry.register(ServiceInstance.of("db-1", "db", "127.0.0.1", 5432));

    assertThat(registry.instances("web")).containsExactly(A, B);
    assertThat(registry.instances("unknown")).isEmpty();
  }

  @Test
  void deregisterRemovesTheInstanceAtOnce() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    registry.register(B);

    registry.deregister(A.id());
    registry.deregister("never-registered");

    assertThat(registry.instances("web")).containsExactly(B);
  }

  @Test
  void instanceExpiresWhenItsTtlPassesWithoutHeartbeat() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);

    advance(Duration.ofSeconds(29));
    assertThat(registry.instances("web")).containsExactly(A);

    advance(Duration.ofSeconds(1));
    assertThat(registry.instances("web")).isEmpty();
    assertThat(registry.heartbeat(A.id())).isFalse();
  }

  @Test
  void heartbeatRenewsTheLease() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);

    for (int i = 0; i < 5; i++) {
      advance(Duration.ofSeconds(20));
      assertThat(registry.heartbeat(A.id())).isTrue();
    }

    assertThat(registry.instances("web")).containsExactly(A);
  }

  @Test
  void watchIsToldOfExpiryFoundByEvictExpired() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    registry.register(B);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    registry.watch("web", seen::add);

    advance(Duration.ofSeconds(20));
    registry.heartbeat(B.id());
    advance(Duration.ofSeconds(10));
    int expired = registry.evictExpired();

    assertThat(expired).isEqualTo(1);
    assertThat(seen).containsExactly(List.of(A, B), List.of(B));
  }

  @Test
  void automaticHeartbeatsKeepInstancesAliveUntilStopped() {
    EmbeddedRegistry registry = EmbeddedRegistry.builder()
        .ttl(Duration.ofMillis(300))
        .heartbeatInterval(Duration.ofMillis(20))
        .build();
    opened.add(registry);
    registry.register(A);
    registry.register(B);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    registry.watch("web", seen::add);

    registry.stopHeartbeats(A.id());

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
    assertThat(seen).containsExactly(List.of(A, B), List.of(B));
    // B outlives several TTLs because the heartbeat thread keeps renewing it.
    await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2))
        .until(() -> registry.instances("web").equals(List.of(B)));
  }

  @Test
  void registerAgainResumesHeartbeatsOfAnExpiredInstance() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    advance(Duration.ofSeconds(31));
    assertThat(registry.instances("web")).isEmpty();

    registry.register(A);

    assertThat(registry.instances("web")).containsExactly(A);
  }

  @Test
  void watchGetsCurrentListThenEachChangeOnce() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();

    registry.watch("web", seen::add);
    registry.register(B);
    registry.register(B);
    registry.heartbeat(A.id());
    registry.register(ServiceInstance.of("db-1", "db", "127.0.0.1", 5432));
    registry.deregister(A.id());
    registry.deregister(A.id());

    assertThat(seen).containsExactly(List.of(A), List.of(A, B), List.of(B));
  }

  @Test
  void changedInstanceWithSameIdIsReported() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    registry.watch("web", seen::add);
    ServiceInstance moved = new ServiceInstance(A.id(), "web", "127.0.0.1", 9999,
        List.of("canary"), Map.of("zone", "a"));

    registry.register(moved);

    assertThat(seen).containsExactly(List.of(A), List.of(moved));
  }

  @Test
  void reRegisteringUnderAnotherServiceMovesTheInstance() {
    EmbeddedRegistry registry = manualRegistry();
    registry.register(A);
    List<List<ServiceInstance>> web = new CopyOnWriteArrayList<>();
    registry.watch("web", web::add);
    ServiceInstance asApi = ServiceInstance.of(A.id(), "api", "127.0.0.1", 8081);

    registry.register(asApi);

    assertThat(registry.instances("web")).isEmpty();
    assertThat(registry.instances("api")).containsExactly(asApi);
    assertThat(web).containsExactly(List.of(A), List.of());
  }

  @Test
  void throwingListenerIsLoggedAndBreaksNothing() {
    EmbeddedRegistry registry = manualRegistry();
    AtomicInteger calls = new AtomicInteger();
    registry.watch("web", list -> {
      calls.incrementAndGet();
      throw new IllegalStateException("listener bug");
    });
    List<List<ServiceInstance>> other = new CopyOnWriteArrayList<>();
    registry.watch("web", other::add);

    registry.register(A);
    registry.register(B);

    assertThat(calls).hasValue(3);
    assertThat(other).containsExactly(List.of(), List.of(A), List.of(A, B));
    assertThat(registry.instances("web")).containsExactly(A, B);
  }

  @Test
  void closedWatchHearsNothingMore() {
    EmbeddedRegistry registry = manualRegistry();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    Registry.Watch watch = registry.watch("web", seen::add);

    watch.close();
    registry.register(A);

    assertThat(seen).containsExactly(List.of());
  }

  @Test
  void listenerMayChangeTheRegistryFromItsCallback() {
    EmbeddedRegistry registry = manualRegistry();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    registry.watch("web", list -> {
      seen.add(list);
      if (list.equals(List.of(A))) {
        registry.register(B);
      }
    });

    registry.register(A);

    assertThat(seen).containsExactly(List.of(), List.of(A), List.of(A, B));
  }

  @Test
  void concurrentChangesNeverReachAListenerOutOfOrderOrTwice() throws Exception {
    EmbeddedRegistry registry = manualRegistry();
    List<List<ServiceInstance>> seen = Collections.synchronizedList(new ArrayList<>());
    registry.watch("web", seen::add);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < 8; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 200; i++) {
            ServiceInstance instance =
                ServiceInstance.of("web-" + thread + "-" + (i % 5), "web", "127.0.0.1", 1000 + i);
            registry.register(instance);
            if (i % 3 == 0) {
              registry.deregister(instance.id());
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<List<ServiceInstance>> copy = List.copyOf(seen);
    for (int i = 1; i < copy.size(); i++) {
      assertThat(copy.get(i)).as("notification %d", i).isNotEqualTo(copy.get(i - 1));
    }
    assertThat(copy.get(copy.size() - 1)).isEqualTo(registry.instances("web"));
  }

  @Test
  void noThreadStartsUntilTheFirstRegistrationAndCloseStopsIt() {
    EmbeddedRegistry registry = EmbeddedRegistry.builder()
        .heartbeatInterval(Duration.ofMillis(50))
        .ttl(Duration.ofSeconds(1))
        .build();
    opened.add(registry);
    registry.watch("web", list -> { });
    assertThat(heartbeatThreads()).isZero();

    registry.register(A);
    assertThat(heartbeatThreads()).isEqualTo(1);
    registry.register(B);
    assertThat(heartbeatThreads()).isEqualTo(1);

    registry.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> heartbeatThreads() == 0);
  }

  @Test
  void manualModeNeverStartsAThread() {
    EmbeddedRegistry registry = manualRegistry();

    registry.register(A);

    assertThat(heartbeatThreads()).isZero();
  }

  @Test
  void closeDropsEverythingAndRefusesFurtherUse() {
    EmbeddedRegistry registry = manualRegistry();
    List<List<ServiceInstance>> seen = new CopyOnWriteArrayList<>();
    registry.watch("web", seen::add);
    registry.register(A);

    registry.close();
    registry.close();
    registry.deregister(A.id());

    assertThat(seen).containsExactly(List.of(), List.of(A));
    assertThatThrownBy(() -> registry.register(B))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> registry.instances("web"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void builderNamesTheBadSetting() {
    assertThatThrownBy(() -> EmbeddedRegistry.builder().ttl(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl must be positive: was PT0S");
    assertThatThrownBy(() -> EmbeddedRegistry.builder()
        .heartbeatInterval(Duration.ofSeconds(-1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeatInterval must be positive: was PT-1S");
    assertThatThrownBy(() -> EmbeddedRegistry.builder()
        .ttl(Duration.ofSeconds(5)).heartbeatInterval(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeatInterval must be shorter than ttl (PT5S): was PT5S");
  }

  private final Set<Thread> threadsBefore = Set.copyOf(Thread.getAllStackTraces().keySet());

  /** Heartbeat threads started since this test began and still alive. */
  private long heartbeatThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !threadsBefore.contains(t) && t.isAlive())
        .filter(t -> t.getName().startsWith("breakwater-embedded-registry-") && t.isDaemon())
        .count();
  }
}
