package io.breakwater.collapse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.context.RequestContext;
import io.breakwater.event.EventType;
import io.breakwater.metrics.CollapserSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CollapserTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();
  private final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  /** Squares numbers in batches; 13 is an error for its caller alone; -1 is left unanswered. */
  private final class Square extends Collapser<Map<Integer, Integer>, Integer, Integer> {
    private final int n;

    Square(int n, CollapserConfig config) {
      super(runtime, "Square", config);
      this.n = n;
    }

    @Override
    protected Integer requestArgument() {
      return n;
    }

    @Override
    protected Command<Map<Integer, Integer>> createCommand(
        Collection<CollapsedRequest<Integer, Integer>> requests) {
      List<Integer> args = new ArrayList<>();
      requests.forEach(r -> args.add(r.argument()));
      batches.add(args);
      return new Command<>(runtime, "SquareBatch",
          CommandConfig.builder().isolation(Isolation.SEMAPHORE).build()) {
        @Override
        protected Map<Integer, Integer> run() {
          Map<Integer, Integer> out = new HashMap<>();
          for (int a : args) {
            out.put(a, a * a);
          }
          return out;
        }
      };
    }

    @Override
    protected void mapResponseToRequests(
        Map<Integer, Integer> squares, Collection<CollapsedRequest<Integer, Integer>> requests) {
      for (CollapsedRequest<Integer, Integer> r : requests) {
        if (r.argument() == 13) {
          r.setException(new IllegalArgumentException("unlucky 13"));
        } else if (r.argument() != -1) {
          r.setResponse(squares.get(r.argument()));
        }
      }
    }

    @Override
    protected String cacheKey() {
      return n == 7 ? "seven" : null;
    }
  }

  private static CollapserConfig config(int windowMillis, int maxBatch) {
    return CollapserConfig.builder().timerDelayMillis(windowMillis)
        .maxRequestsInBatch(maxBatch).build();
  }

  @Test
  void requestsWithinTheWindowShareOneBatchAndEachGetsItsOwnAnswer() throws Exception {
    try (RequestContext ctx = RequestContext.open()) {
      List<CompletableFuture<Integer>> answers = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        answers.add(new Square(i, config(50, 100)).toCompletableFuture());
      }
      for (int i = 1; i <= 5; i++) {
        assertThat(answers.get(i - 1).get(5, TimeUnit.SECONDS)).isEqualTo(i * i);
      }
    }
    assertThat(batches).containsExactly(List.of(1, 2, 3, 4, 5));
    CollapserSnapshot s = runtime.snapshot().collapsers().get(0);
    assertThat(s.name()).isEqualTo("Square");
    assertThat(s.rollingCountBatches()).isEqualTo(1);
    assertThat(s.rollingCountRequestsBatched()).isEqualTo(5);
    assertThat(s.batchSizePercentile(50)).isEqualTo(5);
    assertThat(s.batchSizeMean()).isEqualTo(5);
    assertThat(runtime.snapshot("SquareBatch").rollingCount(EventType.COLLAPSED)).isEqualTo(5);
    assertThat(runtime.snapshot("SquareBatch").rollingCount(EventType.SUCCESS)).isEqualTo(1);
  }

  @Test
  void aFullBatchRunsAtOnceWithoutWaitingForTheWindow() throws Exception {
    try (RequestContext ctx = RequestContext.open()) {
      long t0 = System.nanoTime();
      List<CompletableFuture<Integer>> answers = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        answers.add(new Square(i, config(10_000, 3)).toCompletableFuture());
      }
      for (CompletableFuture<Integer> a : answers) {
        a.get(5, TimeUnit.SECONDS);
      }
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    }
    assertThat(batches).containsExactlyInAnyOrder(List.of(1, 2, 3), List.of(4, 5, 6));
  }

  @Test
  void eachCallerGetsItsOwnError() throws Exception {
    try (RequestContext ctx = RequestContext.open()) {
      CompletableFuture<Integer> ok = new Square(2, config(30, 100)).toCompletableFuture();
      CompletableFuture<Integer> unlucky = new Square(13, config(30, 100)).toCompletableFuture();
      CompletableFuture<Integer> forgotten = new Square(-1, config(30, 100)).toCompletableFuture();
      assertThat(ok.get(5, TimeUnit.SECONDS)).isEqualTo(4);
      assertThatThrownBy(() -> unlucky.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasRootCauseMessage("unlucky 13");
      assertThatThrownBy(() -> forgotten.get(5, TimeUnit.SECONDS))
          .hasRootCauseMessage("collapser Square set no response for argument -1");
    }
  }

  @Test
  void aRequestScopedCollapserWithoutAContextSaysHowToOpenOne() {
    assertThatThrownBy(() -> new Square(1, config(10, 100)).execute())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("A request-scoped collapser (Square) needs an open "
            + "RequestContext on this thread");
  }

  @Test
  void globalScopeBatchesAcrossThreadsWithoutAContext() throws Exception {
    CollapserConfig global = config(100, 100).toBuilder()
        .scope(CollapserConfig.Scope.GLOBAL).build();
    List<CompletableFuture<Integer>> answers = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      int n = i;
      answers.add(CompletableFuture.supplyAsync(() -> new Square(n, global).execute()));
    }
    for (int i = 1; i <= 4; i++) {
      assertThat(answers.get(i - 1).get(5, TimeUnit.SECONDS)).isEqualTo(i * i);
    }
    assertThat(batches).hasSize(1);
    assertThat(batches.get(0)).containsExactlyInAnyOrder(1, 2, 3, 4);
  }

  @Test
  void cachedRequestsAreAnsweredWithoutJoiningABatch() {
    try (RequestContext ctx = RequestContext.open()) {
      assertThat(new Square(7, config(10, 100)).execute()).isEqualTo(49);
      assertThat(new Square(7, config(10, 100)).execute()).isEqualTo(49);
    }
    assertThat(batches).containsExactly(List.of(7));
    assertThat(runtime.snapshot().collapsers().get(0).rollingCountResponsesFromCache())
        .isEqualTo(1);
  }

  @Test
  void anInstanceRunsOnce() {
    try (RequestContext ctx = RequestContext.open()) {
      Square s = new Square(3, config(10, 100));
      s.execute();
      assertThatThrownBy(s::execute).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already ran");
    }
  }

  @Test
  void configRefusesBadValues() {
    assertThatThrownBy(() -> CollapserConfig.builder().maxRequestsInBatch(0))
        .hasMessage("maxRequestsInBatch must be between 1 and 2147483647, was 0");
    assertThatThrownBy(() -> CollapserConfig.builder().timerDelayMillis(-1))
        .hasMessage("timerDelayMillis must be between 1 and 2147483647, was -1");
  }
}
