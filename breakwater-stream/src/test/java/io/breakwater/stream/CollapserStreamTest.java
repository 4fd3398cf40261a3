package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.collapse.CollapsedRequest;
import io.breakwater.collapse.Collapser;
import io.breakwater.collapse.CollapserConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The runtime's own collapsers appear in the stream as HystrixCollapser messages. */
class CollapserStreamTest {

  @Test
  void aCollapserOfTheRuntimeIsWrittenWithItsRealFigures() throws Exception {
    try (BreakwaterRuntime runtime = BreakwaterRuntime.create()) {
      CollapserConfig config = CollapserConfig.builder().scope(CollapserConfig.Scope.GLOBAL)
          .timerDelayMillis(50).maxRequestsInBatch(100).build();
      class Double extends Collapser<List<Integer>, Integer, Integer> {
        private final int n;

        Double(int n) {
          super(runtime, "Double", config);
          this.n = n;
        }

        @Override
        protected Integer requestArgument() {
          return n;
        }

        @Override
        protected Command<List<Integer>> createCommand(
            Collection<CollapsedRequest<Integer, Integer>> requests) {
          List<Integer> args = new ArrayList<>();
          requests.forEach(r -> args.add(r.argument()));
          return new Command<>(runtime, "DoubleBatch",
              CommandConfig.builder().isolation(Isolation.SEMAPHORE).build()) {
            @Override
            protected List<Integer> run() {
              List<Integer> out = new ArrayList<>();
              args.forEach(a -> out.add(a * 2));
              return out;
            }
          };
        }

        @Override
        protected void mapResponseToRequests(
            List<Integer> doubled, Collection<CollapsedRequest<Integer, Integer>> requests) {
          int i = 0;
          for (CollapsedRequest<Integer, Integer> r : requests) {
            r.setResponse(doubled.get(i++));
          }
        }
      }
      List<CompletableFuture<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        answers.add(new Double(i).toCompletableFuture());
      }
      for (CompletableFuture<Integer> a : answers) {
        a.get(5, TimeUnit.SECONDS);
      }

      String sse = new String(new LocalFeed(runtime, List::of).tick(),
          java.nio.charset.StandardCharsets.UTF_8);
      JsonNode collapser = null;
      for (String line : sse.split("\n")) {
        if (line.startsWith("data: ") && line.contains("\"HystrixCollapser\"")) {
          collapser = new ObjectMapper().readTree(line.substring(6));
        }
      }
      assertThat(collapser).as("a HystrixCollapser message in %s", sse).isNotNull();
      assertThat(collapser.get("name").asText()).isEqualTo("Double");
      assertThat(collapser.get("rollingCountRequestsBatched").asLong()).isEqualTo(4);
      assertThat(collapser.get("rollingCountBatches").asLong()).isEqualTo(1);
      assertThat(collapser.get("batchSize_mean").asInt()).isEqualTo(4);
      assertThat(collapser.get("batchSize").get("50").asInt()).isEqualTo(4);
      assertThat(collapser.get("propertyValue_maxRequestsInBatch").asInt()).isEqualTo(100);
      assertThat(collapser.get("propertyValue_timerDelayInMilliseconds").asInt()).isEqualTo(50);
      assertThat(collapser.get("reportingHosts").asInt()).isEqualTo(1);
    }
  }
}
