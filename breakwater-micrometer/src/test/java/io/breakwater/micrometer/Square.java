package io.breakwater.micrometer;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.Command;
import io.breakwater.CommandConfig;
import io.breakwater.Isolation;
import io.breakwater.collapse.CollapsedRequest;
import io.breakwater.collapse.Collapser;
import io.breakwater.collapse.CollapserConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A collapser named {@code Square} that squares numbers in batches; 7 has a cache key, so a
 * second 7 in the same request is answered from the request cache.
 */
final class Square extends Collapser<Map<Integer, Integer>, Integer, Integer> {

  private final BreakwaterRuntime runtime;
  private final int n;

  Square(BreakwaterRuntime runtime, int n, CollapserConfig config) {
    super(runtime, "Square", config);
    this.runtime = runtime;
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
    requests.forEach(r -> r.setResponse(squares.get(r.argument())));
  }

  @Override
  protected String cacheKey() {
    return n == 7 ? "seven" : null;
  }
}
