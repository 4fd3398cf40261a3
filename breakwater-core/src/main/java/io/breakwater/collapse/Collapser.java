package io.breakwater.collapse;

import io.breakwater.Breakwater;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.context.RequestContext;
import io.breakwater.internal.CollapserState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Many callers' requests, gathered over a short window into one batch command, in the style of
 * Hystrix's {@code HystrixCollapser}. Subclass it; an instance is one caller's request and runs
 * once.
 *
 * <pre>{@code
 * class GetUser extends Collapser<Map<Long, User>, User, Long> {
 *   private final long id;
 *   GetUser(long id) { super("GetUser"); this.id = id; }
 *   protected Long requestArgument() { return id; }
 *   protected Command<Map<Long, User>> createCommand(
 *       Collection<CollapsedRequest<User, Long>> requests) {
 *     return new GetUsersById(ids(requests));   // one remote call for the whole batch
 *   }
 *   protected void mapResponseToRequests(Map<Long, User> users,
 *       Collection<CollapsedRequest<User, Long>> requests) {
 *     requests.forEach(r -> r.setResponse(users.get(r.argument())));
 *   }
 * }
 * }</pre>
 *
 * <p>A batch runs after {@code timerDelayMillis} or as soon as it holds
 * {@code maxRequestsInBatch} requests. Each caller gets its own answer, or its own error when
 * {@link CollapsedRequest#setException} is used; a request left unanswered by
 * {@link #mapResponseToRequests} fails with an {@link IllegalStateException} naming its
 * argument; when the batch command fails, every caller gets its exception. Request-scoped
 * collapsers need an open {@link RequestContext}.
 *
 * @param <B> the batch command's answer
 * @param <R> each caller's answer
 * @param <A> each caller's request argument
 */
public abstract class Collapser<B, R, A> {

  private final CollapserState state;
  private final AtomicBoolean started = new AtomicBoolean();

  /** A collapser on the shared runtime with the configuration it has for this name. */
  protected Collapser(String name) {
    this(Breakwater.runtime(), name, null);
  }

  /**
   * A collapser on {@code runtime}. A non-null {@code config} becomes the configuration of
   * every collapser with this name.
   */
  protected Collapser(BreakwaterRuntime runtime, String name, CollapserConfig config) {
    Objects.requireNonNull(runtime, "runtime must not be null");
    this.state = runtime.engine().collapser(name, config);
  }

  /** This caller's argument. */
  protected abstract A requestArgument();

  /** The command that serves a whole batch; it runs with its own protection. */
  protected abstract Command<B> createCommand(Collection<CollapsedRequest<R, A>> requests);

  /** Gives each request of the batch its answer (or error) from the batch's answer. */
  protected abstract void mapResponseToRequests(
      B batchResponse, Collection<CollapsedRequest<R, A>> requests) throws Exception;

  /** The key under which this caller's answer is shared within the request, or null. */
  protected String cacheKey() {
    return null;
  }

  /** Adds this request to a batch and waits for its answer. */
  public final R execute() {
    try {
      return toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    }
  }

  /** Adds this request to a batch; the future holds its answer. */
  public final Future<R> queue() {
    return toCompletableFuture();
  }

  /** Adds this request to a batch; the future holds its answer. */
  public final CompletableFuture<R> toCompletableFuture() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("collapser " + state.name()
          + " already ran; an instance runs once, create a new one for each request");
    }
    String key = state.config().requestCacheEnabled() ? cacheKey() : null;
    if (key == null) {
      return state.submit(requestArgument(), this::runBatch);
    }
    RequestContext ctx = RequestContext.require("Request caching");
    CompletableFuture<R> mine = new CompletableFuture<>();
    @SuppressWarnings("unchecked")
    CompletableFuture<R> cached = (CompletableFuture<R>)
        ctx.cache().putIfAbsent("collapser:" + state.name(), key, mine);
    if (cached != null) {
      state.countFromCache();
      return cached.thenApply(r -> r);
    }
    CompletableFuture<R> answer = state.submit(requestArgument(), this::runBatch);
    answer.whenComplete((r, e) -> {
      if (e == null) {
        mine.complete(r);
      } else {
        mine.completeExceptionally(e);
      }
    });
    return answer;
  }

  private void runBatch(List<CollapserState.Request<R, A>> batch) {
    List<CollapsedRequest<R, A>> requests = Collections.unmodifiableList(new ArrayList<>(batch));
    Command<B> command = createCommand(requests);
    command.markAsCollapsedBatch(requests.size());
    B response = command.execute();
    try {
      mapResponseToRequests(response, requests);
    } catch (Exception e) {
      throw new IllegalStateException(
          "collapser " + state.name() + " failed to map the batch's response", e);
    }
  }
}
