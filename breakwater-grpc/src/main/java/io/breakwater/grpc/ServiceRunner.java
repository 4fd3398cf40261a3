package io.breakwater.grpc;

import io.breakwater.discovery.Registry;
import io.breakwater.discovery.ServiceInstance;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server for one logical service, announced in a {@link Registry} for as long as it runs.
 *
 * <pre>{@code
 * try (ServiceRunner runner = ServiceRunner.builder("example.service")
 *     .registry(registry)
 *     .addService(new ExampleServer())
 *     .start()) {
 *   // clients find it through breakwater://example.service
 * }
 * }</pre>
 *
 * <p>{@link Builder#start()} binds the server (127.0.0.1 and an ephemeral port unless told
 * otherwise), registers the instance (a unique id, the bound address, the actual port) and
 * serves the standard gRPC health service, SERVING while registered. The registry keeps the
 * registration alive (heartbeats, TTL checks). Should the registry lose it anyway (a lease that
 * ran out during a long pause, an agent restarted), the runner notices through a watch on its own
 * service and registers again, logging a warning. {@link #close()} deregisters first, so clients
 * stop picking this instance, then shuts the server down gracefully: calls in flight get up to
 * {@link Builder#shutdownTimeout} to finish before they are cancelled.
 *
 * <p>Application code runs on the runner's own daemon threads, {@code
 * breakwater-grpc-SERVICE-N-M}, which end at close. The transport's event loops are gRPC's shared
 * ones, released by gRPC shortly after the last server or channel using them is gone.
 */
public final class ServiceRunner implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServiceRunner.class);
  private static final AtomicInteger RUNNERS = new AtomicInteger();

  private final Registry registry;
  private final Server server;
  private final ServiceInstance instance;
  private final HealthStatusManager health;
  private final ThreadPoolExecutor executor;
  private final Duration shutdownTimeout;
  // Guards `closing` so that a re-registration never lands after close() deregistered.
  private final ReentrantLock lock = new ReentrantLock();
  private boolean closing;
  /** Whether the registry has shown this instance since it was last (re)registered. */
  private volatile boolean listed;
  private final Registry.Watch watch;

  private ServiceRunner(Builder b, InetAddress bind, String advertised) {
    this.registry = b.registry;
    this.shutdownTimeout = b.shutdownTimeout;
    String threadPrefix =
        "breakwater-grpc-" + b.serviceName + "-" + RUNNERS.incrementAndGet() + "-";
    AtomicInteger threads = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, threadPrefix + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.health = new HealthStatusManager();

    NettyServerBuilder sb = NettyServerBuilder
        .forAddress(new InetSocketAddress(bind, b.port), b.credentials)
        .executor(executor)
        .addService(health.getHealthService());
    b.services.forEach(sb::addService);
    if (b.serverConfigurer != null) {
      b.serverConfigurer.accept(sb);
    }
    Server started;
    try {
      started = sb.build().start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("could not start service '" + b.serviceName + "' on "
          + bind.getHostAddress() + ":" + b.port + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    this.server = started;
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    String id = b.instanceId != null ? b.instanceId
        : b.serviceName + "-" + port + "-" + UUID.randomUUID().toString().substring(0, 8);
    this.instance = new ServiceInstance(id, b.serviceName, advertised, port, b.tags, b.metadata);

    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    for (ServerServiceDefinition service : b.services) {
      health.setStatus(service.getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    Registry.Watch w;
    try {
      registry.register(instance);
      w = registry.watch(b.serviceName, this::onInstances);
    } catch (RuntimeException e) {
      stopServer();
      throw e;
    }
    this.watch = w;
    log.info("Service '{}' is serving as {} at {}", b.serviceName, id, instance.authority());
  }

  /** A builder for a runner of {@code serviceName}, the name clients look up. */
  public static Builder builder(String serviceName) {
    return new Builder(serviceName);
  }

  /** The instance as registered: id, service, address, the actual port. */
  public ServiceInstance instance() {
    return instance;
  }

  /** The port the server listens on (the ephemeral one when port 0 was asked for). */
  public int port() {
    return instance.port();
  }

  /** The address the server is bound to. */
  public InetSocketAddress boundAddress() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /** Whether the server still accepts calls (false once close has begun). */
  public boolean isRunning() {
    return !server.isShutdown();
  }

  /**
   * Deregisters the instance, marks it NOT_SERVING, and shuts the server down: calls in flight
   * have the shutdown timeout to finish, then are cancelled. Returns once the server's threads
   * are done or a further second has passed. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
    } finally {
      lock.unlock();
    }
    watch.close();
    health.enterTerminalState();
    try {
      registry.deregister(instance.id());
    } catch (RuntimeException e) {
      log.warn("Could not deregister {} of service '{}'; the registry will expire it",
          instance.id(), instance.service(), e);
    }
    stopServer();
    log.info("Service '{}' instance {} stopped", instance.service(), instance.id());
  }

  private void stopServer() {
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    boolean interrupted = false;
    server.shutdown();
    try {
      if (!server.awaitTermination(shutdownTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
        log.warn("Service '{}': calls still running after {} ms; cancelling them",
            instance == null ? "?" : instance.service(), shutdownTimeout.toMillis());
        server.shutdownNow();
        server.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      interrupted = true;
      server.shutdownNow();
    }
    executor.shutdown();
    try {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!executor.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        // Handlers still blocked after their calls were cancelled: interrupt them.
        executor.shutdownNow();
        executor.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      interrupted = true;
      executor.shutdownNow();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Watches this service: registers again when the registry dropped a live instance. */
  private void onInstances(List<ServiceInstance> instances) {
    boolean present = false;
    for (ServiceInstance i : instances) {
      if (i.id().equals(instance.id())) {
        present = true;
        break;
      }
    }
    if (present) {
      listed = true;
      return;
    }
    // Never listed yet: the registry may simply not show a fresh registration at once.
    if (!listed) {
      return;
    }
    lock.lock();
    try {
      if (closing) {
        return;
      }
      listed = false;
      log.warn("Instance {} of service '{}' disappeared from the registry while running; "
          + "registering it again", instance.id(), instance.service());
      registry.register(instance);
    } catch (RuntimeException e) {
      log.warn("Could not register {} of service '{}' again", instance.id(), instance.service(),
          e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Settings of a {@link ServiceRunner}. Not thread-safe; each setter checks its value and names
   * it in the error, {@link #start()} checks the whole.
   */
  public static final class Builder {
    /** How long close waits for calls in flight unless told otherwise. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    private final String serviceName;
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private Registry registry;
    private String bindAddress = "127.0.0.1";
    private String advertisedAddress;
    private int port;
    private String instanceId;
    private List<String> tags = List.of();
    private Map<String, String> metadata = Map.of();
    private ServerCredentials credentials = InsecureServerCredentials.create();
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Consumer<? super ServerBuilder<?>> serverConfigurer;

    private Builder(String serviceName) {
      this.serviceName = text("serviceName", serviceName);
    }

    /** The registry to announce the instance in; required. */
    public Builder registry(Registry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
      return this;
    }

    /** A gRPC service implementation to serve; at least one is required. */
    public Builder addService(BindableService service) {
      Objects.requireNonNull(service, "service must not be null");
      services.add(service.bindService());
      return this;
    }

    /** A gRPC service definition to serve (for example one wrapped with interceptors). */
    public Builder addService(ServerServiceDefinition service) {
      services.add(Objects.requireNonNull(service, "service must not be null"));
      return this;
    }

    /** The address to bind, an IP literal or host name; default 127.0.0.1. */
    public Builder bindAddress(String bindAddress) {
      this.bindAddress = text("bindAddress", bindAddress);
      return this;
    }

    /**
     * The address registered for clients; default the bind address. Required when binding a
     * wildcard address, which says nothing about where clients can reach the server.
     */
    public Builder advertisedAddress(String advertisedAddress) {
      this.advertisedAddress = text("advertisedAddress", advertisedAddress);
      return this;
    }

    /** The port, 0 to 65535; default 0, an ephemeral port. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** The instance id; default the service name, the port and a random suffix. */
    public Builder instanceId(String instanceId) {
      this.instanceId = text("instanceId", instanceId);
      return this;
    }

    public Builder tags(List<String> tags) {
      this.tags = List.copyOf(Objects.requireNonNull(tags, "tags must not be null"));
      return this;
    }

    public Builder metadata(Map<String, String> metadata) {
      this.metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata must not be null"));
      return this;
    }

    /** The server's credentials; default plaintext. */
    public Builder credentials(ServerCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials must not be null");
      return this;
    }

    /** How long close lets calls in flight finish before cancelling them; default 5 s. */
    public Builder shutdownTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "shutdownTimeout must not be null");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("shutdownTimeout must not be negative, was "
            + timeout);
      }
      this.shutdownTimeout = timeout;
      return this;
    }

    /** Last changes to the server builder: interceptors, limits, keep-alive. */
    public Builder configureServer(Consumer<? super ServerBuilder<?>> configurer) {
      this.serverConfigurer =
          Objects.requireNonNull(configurer, "configurer must not be null");
      return this;
    }

    /**
     * Starts the server and registers it.
     *
     * @throws IllegalStateException when no registry or no service was given
     * @throws IllegalArgumentException when the bind address does not resolve, or is a wildcard
     *     with no advertised address
     * @throws UncheckedIOException when the server cannot bind
     */
    public ServiceRunner start() {
      if (registry == null) {
        throw new IllegalStateException(
            "service '" + serviceName + "' needs a registry to be announced in");
      }
      if (services.isEmpty()) {
        throw new IllegalStateException("service '" + serviceName + "' has no gRPC service to "
            + "serve: call addService");
      }
      InetAddress bind;
      try {
        bind = InetAddress.getByName(bindAddress);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "bindAddress '" + bindAddress + "' does not resolve", e);
      }
      String advertised = advertisedAddress;
      if (advertised == null) {
        if (bind.isAnyLocalAddress()) {
          throw new IllegalArgumentException("bindAddress '" + bindAddress + "' is a wildcard: "
              + "set advertisedAddress to the address clients should use");
        }
        advertised = bind.getHostAddress();
      }
      return new ServiceRunner(this, bind, advertised);
    }

    private static String text(String field, String value) {
      Objects.requireNonNull(value, () -> field + " must not be null");
      if (value.isBlank()) {
        throw new IllegalArgumentException(field + " must not be blank, was '" + value + "'");
      }
      return value;
    }
  }
}
