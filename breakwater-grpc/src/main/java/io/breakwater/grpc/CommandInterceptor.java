package io.breakwater.grpc;

import io.breakwater.Breakwater;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs every unary call of a channel as a Breakwater command: the call gets the command's
 * circuit breaker, concurrency limit, timeout, metrics and fallback.
 *
 * <pre>{@code
 * CommandInterceptor interceptor = CommandInterceptor.builder()
 *     .runtime(runtime)
 *     .command(ExampleServiceGrpc.getEndpointMethod(), "my_command")
 *     .config(ExampleServiceGrpc.getEndpointMethod(), CommandConfig.builder()
 *         .timeoutMillis(1000).maxConcurrentRequests(100).errorThresholdPercentage(25).build())
 *     .fallback(ExampleServiceGrpc.getEndpointMethod(),
 *         (request, kind, cause) -> Response.newBuilder().setMsg("cached").build())
 *     .build();
 * channel = ManagedChannelBuilder.forTarget(...).intercept(interceptor).build();
 * }</pre>
 *
 * <p><b>Names.</b> A method's command is named after its full gRPC name ({@code
 * example.ExampleService/Endpoint}) unless {@link Builder#command} names it; methods may share a
 * command and so a circuit. The command's group is the gRPC service name unless its config names
 * one. A method with a {@link Builder#config config} has it set on the runtime when the interceptor
 * is built (or, for the shared runtime, at its first call); a method without one keeps whatever
 * the runtime has for its command name (its own config, or the runtime's default), with the group
 * filled in at the first call.
 *
 * <p><b>Outcomes.</b> The server's answer is a success. A status that is the caller's fault
 * (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
 * FAILED_PRECONDITION, OUT_OF_RANGE, and CANCELLED when the caller's own context was cancelled)
 * is a bad request: not counted against the server's health, no fallback, and the caller gets the
 * original status and trailers. Every other status is a failure. When the command has no answer
 * and no fallback gives one, the caller gets: for a failure, the server's status with
 * Breakwater's explanation added to its description; for a timeout DEADLINE_EXCEEDED, for an
 * open circuit UNAVAILABLE, for a rejection RESOURCE_EXHAUSTED, each with a description naming
 * the command and the reason. A short-circuited or rejected call never reaches the server. A timed
 * out call is cancelled on the wire. Cancelling the call cancels the command and the call on the
 * wire.
 *
 * <p><b>What is not protected.</b> Client-, server- and bidirectional-streaming calls pass through
 * untouched and uncounted: a stream has no single answer to time, fall back on or judge, and
 * holding a semaphore permit for a stream's lifetime would let a few long streams starve every
 * unary call. Protect the setup of a stream in application code if needed.
 *
 * <p>Thread-safe; one interceptor may serve any number of channels.
 */
public final class CommandInterceptor implements ClientInterceptor {

  private final BreakwaterRuntime runtime;
  private final Map<String, MethodPolicy> policies;
  /** Command name -> the runtime its config and group were last set on. */
  private final ConcurrentHashMap<String, BreakwaterRuntime> prepared =
      new ConcurrentHashMap<>();

  private CommandInterceptor(Builder b) {
    this.runtime = b.runtime;
    Map<String, MethodPolicy> copies = new HashMap<>();
    b.policies.forEach((fullName, policy) -> copies.put(fullName, policy.copy()));
    this.policies = Map.copyOf(copies);
    if (runtime != null) {
      policies.forEach((fullName, policy) -> {
        if (policy.config != null) {
          prepare(runtime, policy.commandName, policy.serviceName, policy);
        }
      });
    }
  }

  /** An interceptor for the shared runtime, every unary method named after itself. */
  public static CommandInterceptor create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      return next.newCall(method, callOptions);
    }
    BreakwaterRuntime rt = runtime != null ? runtime : Breakwater.runtime();
    MethodPolicy policy = policies.get(method.getFullMethodName());
    String command = policy != null ? policy.commandName : method.getFullMethodName();
    if (prepared.get(command) != rt) {
      prepare(rt, command, serviceOf(method), policy);
    }
    @SuppressWarnings("unchecked")
    ResponseFallback<ReqT, RespT> fallback = policy == null ? null
        : (ResponseFallback<ReqT, RespT>) policy.fallback;
    return new CommandCall<>(rt, command, method, callOptions, next, fallback);
  }

  /** The name of the command that runs a method's calls, for looking up its metrics. */
  public String commandName(MethodDescriptor<?, ?> method) {
    Objects.requireNonNull(method, "method must not be null");
    MethodPolicy policy = policies.get(method.getFullMethodName());
    return policy != null ? policy.commandName : method.getFullMethodName();
  }

  /**
   * Sets a command's config (the method's own, or what the runtime has) with the group filled in.
   * Racing callers compute the same config, so setting it twice is harmless.
   */
  private void prepare(
      BreakwaterRuntime rt, String command, String service, MethodPolicy policy) {
    CommandConfig current = rt.config(command);
    CommandConfig config = policy != null && policy.config != null ? policy.config : current;
    if (config.group() == null) {
      config = config.toBuilder().group(service).build();
    }
    if (config != current) {
      rt.configure(command, config);
    }
    prepared.put(command, rt);
  }

  private static String serviceOf(MethodDescriptor<?, ?> method) {
    String service = method.getServiceName();
    return service != null ? service : method.getFullMethodName();
  }

  /** What the builder was told about one method. */
  private static final class MethodPolicy {
    final String serviceName;
    String commandName;
    CommandConfig config;
    ResponseFallback<?, ?> fallback;

    MethodPolicy(MethodDescriptor<?, ?> method) {
      this(serviceOf(method), method.getFullMethodName());
    }

    private MethodPolicy(String serviceName, String commandName) {
      this.serviceName = serviceName;
      this.commandName = commandName;
    }

    /** A copy the builder can no longer change. */
    MethodPolicy copy() {
      MethodPolicy c = new MethodPolicy(serviceName, commandName);
      c.config = config;
      c.fallback = fallback;
      return c;
    }
  }

  /**
   * Builds a {@link CommandInterceptor}. Not thread-safe. Every method it is told about must be
   * unary; each setter checks its arguments and names the method in the error.
   */
  public static final class Builder {
    private BreakwaterRuntime runtime;
    private final Map<String, MethodPolicy> policies = new HashMap<>();

    private Builder() {}

    /** The runtime the commands run on; by default the shared one of {@link Breakwater}. */
    public Builder runtime(BreakwaterRuntime runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
      return this;
    }

    /** Names the command that runs a method's calls (default: the full method name). */
    public Builder command(MethodDescriptor<?, ?> method, String commandName) {
      MethodPolicy policy = policy(method);
      Objects.requireNonNull(commandName,
          () -> "command name for " + method.getFullMethodName() + " must not be null");
      if (commandName.isBlank()) {
        throw new IllegalArgumentException("command name for " + method.getFullMethodName()
            + " must not be blank, was '" + commandName + "'");
      }
      policy.commandName = commandName;
      return this;
    }

    /**
     * The config of a method's command. Its group, when null, becomes the gRPC service name.
     * Two methods sharing a command should not be given different configs; the last set wins.
     */
    public Builder config(MethodDescriptor<?, ?> method, CommandConfig config) {
      MethodPolicy policy = policy(method);
      policy.config = Objects.requireNonNull(config,
          () -> "config for " + method.getFullMethodName() + " must not be null");
      return this;
    }

    /** The response given in place of the server's when a method's call cannot answer. */
    public <ReqT, RespT> Builder fallback(
        MethodDescriptor<ReqT, RespT> method, ResponseFallback<ReqT, RespT> fallback) {
      MethodPolicy policy = policy(method);
      policy.fallback = Objects.requireNonNull(fallback,
          () -> "fallback for " + method.getFullMethodName() + " must not be null");
      return this;
    }

    public CommandInterceptor build() {
      return new CommandInterceptor(this);
    }

    private MethodPolicy policy(MethodDescriptor<?, ?> method) {
      Objects.requireNonNull(method, "method must not be null");
      if (method.getType() != MethodDescriptor.MethodType.UNARY) {
        throw new IllegalArgumentException(method.getFullMethodName() + " is a "
            + method.getType() + " method; only unary calls run as commands, streams pass "
            + "through unprotected");
      }
      return policies.computeIfAbsent(method.getFullMethodName(), n -> new MethodPolicy(method));
    }
  }
}
