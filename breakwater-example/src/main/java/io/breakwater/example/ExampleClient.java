package io.breakwater.example;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.FailureKind;
import io.breakwater.Isolation;
import io.breakwater.discovery.Registry;
import io.breakwater.example.proto.ExampleServiceGrpc;
import io.breakwater.example.proto.Request;
import io.breakwater.example.proto.Response;
import io.breakwater.grpc.BalancingPolicy;
import io.breakwater.grpc.CommandInterceptor;
import io.breakwater.grpc.InstanceBalancerProvider;
import io.breakwater.grpc.OutlierEjection;
import io.breakwater.grpc.ServiceChannels;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls {@code example.service}: finds it through a {@link Registry} ({@code
 * breakwater://example.service}) and runs every {@code Endpoint} call as the Breakwater command
 * {@value #COMMAND}, with a fallback that answers when the server cannot.
 *
 * <p>{@value #COMMAND} is configured as the issue asks (timeout 1000 ms, 100 concurrent calls,
 * circuit opens at 25 % errors) plus three values chosen so that the demo shows the circuit at
 * work within phases of a few seconds at about 20 calls a second: the circuit judges the last
 * {@value #ROLLING_WINDOW_MILLIS} ms instead of Hystrix's 10 s, so old successes stop masking
 * new failures quickly; it needs {@value #REQUEST_VOLUME_THRESHOLD} calls in that window instead
 * of 20, which half a second of traffic gives; and it sleeps {@value #SLEEP_WINDOW_MILLIS} ms
 * between trial calls instead of 5 s, so that a healed server is noticed within a phase.
 *
 * <p>Calls are balanced over every healthy instance by power of two choices ({@code
 * breakwater_p2c}), and an instance failing 5 calls in a row is ejected for 30 s (more on
 * repeat), so one bad instance among several costs the circuit almost nothing: it sees only the
 * few failures that got the instance ejected.
 */
public final class ExampleClient implements AutoCloseable {

  public static final String SERVICE = "example.service";
  public static final String COMMAND = "my_command";
  public static final int TIMEOUT_MILLIS = 1000;
  public static final int MAX_CONCURRENT_REQUESTS = 100;
  public static final int ERROR_THRESHOLD_PERCENTAGE = 25;
  public static final int REQUEST_VOLUME_THRESHOLD = 10;
  public static final int SLEEP_WINDOW_MILLIS = 2000;
  public static final int ROLLING_WINDOW_MILLIS = 5000;

  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final ManagedChannel channel;
  private final ExecutorService callbacks;
  private final ExampleServiceGrpc.ExampleServiceBlockingStub blocking;
  private final ExampleServiceGrpc.ExampleServiceStub async;

  /**
   * A client discovering the service in {@code registry}, its command on {@code runtime},
   * balancing over every instance with power of two choices and the default outlier ejection.
   */
  public ExampleClient(Registry registry, BreakwaterRuntime runtime) {
    this(builder(registry, runtime));
  }

  private ExampleClient(Builder b) {
    CommandInterceptor interceptor = CommandInterceptor.builder()
        .runtime(b.runtime)
        .command(ExampleServiceGrpc.getEndpointMethod(), COMMAND)
        .config(ExampleServiceGrpc.getEndpointMethod(), commandConfig())
        .fallback(ExampleServiceGrpc.getEndpointMethod(), ExampleClient::fallback)
        .build();
    String prefix = "breakwater-example-client-" + CLIENTS.incrementAndGet() + "-";
    AtomicInteger threads = new AtomicInteger();
    this.callbacks = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, prefix + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.channel = ServiceChannels.forService(SERVICE, b.registry)
        .defaultServiceConfig(
            InstanceBalancerProvider.serviceConfig(b.balancingPolicy, b.outlierEjection))
        .executor(callbacks)
        .intercept(interceptor)
        .build();
    this.blocking = ExampleServiceGrpc.newBlockingStub(channel);
    this.async = ExampleServiceGrpc.newStub(channel);
  }

  /** A builder for a client discovering the service in {@code registry}. */
  public static Builder builder(Registry registry, BreakwaterRuntime runtime) {
    return new Builder(registry, runtime);
  }

  /** The configuration of {@value #COMMAND}; see the class comment for the values. */
  public static CommandConfig commandConfig() {
    return CommandConfig.builder()
        .isolation(Isolation.SEMAPHORE)
        .timeoutMillis(TIMEOUT_MILLIS)
        .maxConcurrentRequests(MAX_CONCURRENT_REQUESTS)
        .errorThresholdPercentage(ERROR_THRESHOLD_PERCENTAGE)
        .requestVolumeThreshold(REQUEST_VOLUME_THRESHOLD)
        .sleepWindowMillis(SLEEP_WINDOW_MILLIS)
        .rollingStatsWindowMillis(ROLLING_WINDOW_MILLIS)
        .rollingStatsBuckets(10)
        .build();
  }

  /** What the client answers itself when example.service cannot. */
  static Response fallback(Request request, FailureKind kind, Throwable cause) {
    return Response.newBuilder()
        .setMsg("Hello " + request.getName() + " (fallback: " + kind.text() + ")")
        .build();
  }

  /** Calls Endpoint and waits for the answer, the server's or the fallback's. */
  public Response call(String name) {
    return blocking.endpoint(request(name));
  }

  /** Calls Endpoint without waiting. */
  public CompletableFuture<Response> callAsync(String name) {
    CompletableFuture<Response> answer = new CompletableFuture<>();
    async.endpoint(request(name), new StreamObserver<>() {
      @Override
      public void onNext(Response response) {
        answer.complete(response);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        // the response came with onNext
      }
    });
    return answer;
  }

  private static Request request(String name) {
    return Request.newBuilder().setName(name).build();
  }

  /**
   * Connects to the instances and waits until one is ready, at most {@code timeout}. A first
   * call on a fresh channel has to find the service, connect and warm up the JVM's network code
   * within the command's 1000 ms timeout; a program making one call does this first.
   *
   * @return whether an instance is ready
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ConnectivityState state = channel.getState(true);
    while (state != ConnectivityState.READY) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      CountDownLatch changed = new CountDownLatch(1);
      channel.notifyWhenStateChanged(state, changed::countDown);
      changed.await(left, TimeUnit.NANOSECONDS);
      state = channel.getState(true);
    }
    return true;
  }

  /** The channel the client's calls go through, for its state. */
  public ManagedChannel channel() {
    return channel;
  }

  /** Closes the channel, cancelling calls still running, and stops the callback threads. */
  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    callbacks.shutdown();
  }

  /** Settings of an {@link ExampleClient}. Not thread-safe. */
  public static final class Builder {
    private final Registry registry;
    private final BreakwaterRuntime runtime;
    private String balancingPolicy = BalancingPolicy.POWER_OF_TWO_CHOICES.policyName();
    private OutlierEjection outlierEjection = OutlierEjection.defaults();

    private Builder(Registry registry, BreakwaterRuntime runtime) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
      this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
    }

    /**
     * The gRPC load balancing policy: {@code breakwater_p2c} (the default), {@code
     * breakwater_round_robin}, or the name of an {@code InstanceBalancerProvider} registered
     * under a name of its own.
     */
    public Builder balancingPolicy(String policyName) {
      Objects.requireNonNull(policyName, "balancingPolicy must not be null");
      if (policyName.isBlank()) {
        throw new IllegalArgumentException("balancingPolicy must not be blank");
      }
      this.balancingPolicy = policyName;
      return this;
    }

    /** When instances are taken out of rotation; default {@link OutlierEjection#defaults()}. */
    public Builder outlierEjection(OutlierEjection ejection) {
      this.outlierEjection = Objects.requireNonNull(ejection, "outlierEjection must not be null");
      return this;
    }

    public ExampleClient build() {
      return new ExampleClient(this);
    }
  }
}
