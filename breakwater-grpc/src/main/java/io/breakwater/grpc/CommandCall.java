package io.breakwater.grpc;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandException;
import io.breakwater.FailureKind;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unary call run as a Breakwater command.
 *
 * <p>A unary call is fully described before it needs the server: start, the one request message
 * and halfClose all come from the caller before any answer can. So this call only records them,
 * and at halfClose hands the command a {@code run} that replays them on a real call of the next
 * channel. When the circuit is open or no permit is left, {@code run} is never called and nothing
 * reaches the server. The command's answer (the server's reply, a fallback's response, or a
 * failure) then goes to the caller's listener in one go: headers, message and close, or close
 * alone. A call the command gives up on (timeout, or the caller's cancel) is cancelled on the
 * wire through the stage {@code run} returned.
 *
 * <p>Listener callbacks go through the executor of the call options when there is one: the
 * blocking stub waits on such an executor and would never wake up otherwise. Without one they run
 * on the thread that found the answer: a transport thread, Breakwater's fallback thread after a
 * timeout, or the caller's own thread inside halfClose when the call was refused.
 *
 * <p>The caller's methods come from one thread at a time, as {@link ClientCall} requires, except
 * cancel, which may come from any thread; what cancel shares with the rest is volatile or atomic.
 */
final class CommandCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private static final Logger log = LoggerFactory.getLogger(CommandCall.class);

  private final BreakwaterRuntime runtime;
  private final String commandName;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final ResponseFallback<ReqT, RespT> fallback;
  private final Context context = Context.current();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<ReqT> messages = new ArrayList<>(1);
  private final TimeoutMark timeoutMark = new TimeoutMark();

  private volatile Listener<RespT> listener;
  private Metadata headers;
  private Boolean compression;
  private boolean halfClosed;
  private volatile CompletableFuture<UnaryReply<RespT>> answer;
  private volatile ClientCall<ReqT, RespT> real;
  private volatile Status cancellation;

  CommandCall(
      BreakwaterRuntime runtime, String commandName, MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions, Channel next, ResponseFallback<ReqT, RespT> fallback) {
    this.runtime = runtime;
    this.commandName = commandName;
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.fallback = fallback;
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    Objects.requireNonNull(responseListener, "responseListener must not be null");
    Objects.requireNonNull(headers, "headers must not be null");
    if (listener != null) {
      throw new IllegalStateException(method.getFullMethodName() + ": call already started");
    }
    this.headers = headers;
    this.listener = responseListener;
    Status cancelled = cancellation;
    if (cancelled != null) {
      close(cancelled, new Metadata());
    }
  }

  @Override
  public void request(int numMessages) {
    // Nothing to pass on: the command reads the one response itself (see startRealCall) and
    // hands it over with the close, and unary stubs always ask for it before halfClose.
  }

  @Override
  public void sendMessage(ReqT message) {
    requireOpenForSending("sendMessage");
    messages.add(message);
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    compression = enabled;
  }

  @Override
  public void halfClose() {
    requireOpenForSending("halfClose");
    halfClosed = true;
    if (cancellation != null) {
      return;
    }
    CompletableFuture<UnaryReply<RespT>> future;
    try {
      future = runtime.executeAsync(
          commandName, this::startRealCall, fallback == null ? null : this::fallback);
    } catch (RuntimeException e) {
      // A closed runtime, for one; the caller still needs its close.
      close(Status.INTERNAL.withDescription(
          "breakwater: command " + commandName + " could not run: " + e.getMessage())
          .withCause(e), new Metadata());
      return;
    }
    answer = future;
    future.whenComplete(this::answered);
    if (cancellation != null) {
      future.cancel(false); // cancel() ran while the command was being started
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    if (message == null && cause == null) {
      cause = new CancellationException("Cancelled without a message or cause");
    }
    if (cancellation != null) {
      return;
    }
    Status status = Status.CANCELLED.withDescription(message).withCause(cause);
    cancellation = status;
    CompletableFuture<UnaryReply<RespT>> future = answer;
    if (future != null) {
      // Records CANCELLED and cancels the stage of startRealCall, which cancels the real call.
      future.cancel(false);
    }
    if (listener != null) {
      close(status, new Metadata());
    }
  }

  @Override
  public Attributes getAttributes() {
    ClientCall<ReqT, RespT> call = real;
    return call == null ? Attributes.EMPTY : call.getAttributes();
  }

  /** The command's {@code run}: the recorded call, replayed on the next channel. */
  private CompletionStage<UnaryReply<RespT>> startRealCall() {
    CompletableFuture<UnaryReply<RespT>> reply = new CompletableFuture<>();
    Context previous = context.attach();
    try {
      ClientCall<ReqT, RespT> call =
          next.newCall(method, callOptions.withOption(TimeoutMark.KEY, timeoutMark));
      real = call;
      reply.whenComplete((r, e) -> {
        if (reply.isCancelled()) {
          Status why = cancellation;
          if (why != null) {
            call.cancel(why.getDescription(), why.getCause());
          } else {
            // Tells the instance balancer that the instance, not the caller, is behind this.
            timeoutMark.set();
            call.cancel("breakwater: command " + commandName + " timed out", null);
          }
        }
      });
      call.start(new ReplyListener(reply, call), headers);
      // Two, as gRPC's own stubs ask, so that a server sending a second message is noticed.
      call.request(2);
      if (compression != null) {
        call.setMessageCompression(compression);
      }
      for (ReqT message : messages) {
        call.sendMessage(message);
      }
      call.halfClose();
    } finally {
      context.detach(previous);
    }
    return reply;
  }

  private UnaryReply<RespT> fallback(FailureKind kind, Throwable cause) throws Exception {
    ReqT request = messages.isEmpty() ? null : messages.get(0);
    RespT response = fallback.apply(request, kind, cause);
    if (response == null) {
      throw new NullPointerException("the fallback of command " + commandName + " for "
          + method.getFullMethodName() + " returned null");
    }
    return new UnaryReply<>(null, response, new Metadata());
  }

  private void answered(UnaryReply<RespT> reply, Throwable thrown) {
    if (thrown == null) {
      deliver(l -> {
        if (reply.headers() != null) {
          l.onHeaders(reply.headers());
        }
        l.onMessage(reply.message());
        l.onClose(Status.OK, reply.trailers());
      });
      return;
    }
    Throwable e = unwrap(thrown);
    if (e instanceof CancellationException) {
      Status why = cancellation;
      close(why != null ? why : Status.CANCELLED.withDescription(
          "breakwater: command " + commandName + " was cancelled"), new Metadata());
    } else if (e instanceof CallerFault) {
      CallerFault fault = (CallerFault) e;
      close(fault.status(), fault.trailers());
    } else if (e instanceof CommandException) {
      CommandException refusal = (CommandException) e;
      close(FailureStatus.of(refusal), FailureStatus.trailersOf(refusal));
    } else {
      close(Status.INTERNAL.withDescription(
          "breakwater: command " + commandName + " ended with " + e).withCause(e),
          new Metadata());
    }
  }

  private void close(Status status, Metadata trailers) {
    deliver(l -> l.onClose(status, trailers));
  }

  /** Runs the caller's last callbacks, once, on the call's executor when it has one. */
  private void deliver(Consumer<Listener<RespT>> callbacks) {
    Listener<RespT> l = listener;
    if (l == null || !closed.compareAndSet(false, true)) {
      return;
    }
    Runnable task = () -> {
      try {
        callbacks.accept(l);
      } catch (RuntimeException e) {
        log.warn("The listener of a {} call (command {}) threw", method.getFullMethodName(),
            commandName, e);
      }
    };
    Executor executor = callOptions.getExecutor();
    if (executor == null) {
      task.run();
      return;
    }
    try {
      executor.execute(task);
    } catch (RejectedExecutionException shutDown) {
      task.run();
    }
  }

  private void requireOpenForSending(String what) {
    if (listener == null) {
      throw new IllegalStateException(method.getFullMethodName() + ": " + what
          + " before start");
    }
    if (halfClosed) {
      throw new IllegalStateException(method.getFullMethodName() + ": " + what
          + " after halfClose");
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Collects the real call's answer into the stage the command waits on. */
  private final class ReplyListener extends Listener<RespT> {
    private final CompletableFuture<UnaryReply<RespT>> reply;
    private final ClientCall<ReqT, RespT> call;
    // gRPC calls a listener serially, so these need no further guarding.
    private Metadata responseHeaders;
    private RespT response;
    private boolean tooMany;

    ReplyListener(CompletableFuture<UnaryReply<RespT>> reply, ClientCall<ReqT, RespT> call) {
      this.reply = reply;
      this.call = call;
    }

    @Override
    public void onHeaders(Metadata h) {
      responseHeaders = h;
    }

    @Override
    public void onMessage(RespT message) {
      if (response == null) {
        response = message;
      } else if (!tooMany) {
        tooMany = true;
        call.cancel("More than one response for unary method " + method.getFullMethodName(),
            null);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (tooMany) {
        reply.completeExceptionally(Status.INTERNAL.withDescription(
            "the server sent more than one response for unary method "
                + method.getFullMethodName()).asRuntimeException(trailers));
      } else if (status.isOk() && response != null) {
        reply.complete(new UnaryReply<>(responseHeaders, response, trailers));
      } else if (status.isOk()) {
        reply.completeExceptionally(Status.INTERNAL.withDescription(
            "the server sent no response for unary method " + method.getFullMethodName())
            .asRuntimeException(trailers));
      } else if (FailureStatus.CALLER_FAULTS.contains(status.getCode())
          || (status.getCode() == Status.Code.CANCELLED && context.isCancelled())) {
        // The caller's own context going away is no more the server's fault than a bad request.
        reply.completeExceptionally(new CallerFault(commandName, status, trailers));
      } else {
        reply.completeExceptionally(status.asRuntimeException(trailers));
      }
    }
  }
}
