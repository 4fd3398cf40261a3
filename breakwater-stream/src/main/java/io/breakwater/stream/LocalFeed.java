package io.breakwater.stream;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.metrics.CollapserSnapshot;
import io.breakwater.metrics.CommandSnapshot;
import io.breakwater.metrics.MetricsSnapshot;
import io.breakwater.metrics.ThreadPoolSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's commands, thread pools and collapsers. Every command the runtime knows is in
 * every tick, traffic or not, so a dashboard shows the whole set from its first second.
 */
final class LocalFeed implements Feed {

  private static final Logger log = LoggerFactory.getLogger(LocalFeed.class);

  private final BreakwaterRuntime runtime;
  private final Supplier<? extends Collection<CollapserFigures>> collapsers;

  LocalFeed(BreakwaterRuntime runtime,
      Supplier<? extends Collection<CollapserFigures>> collapsers) {
    this.runtime = runtime;
    this.collapsers = collapsers;
  }

  @Override
  public byte[] tick() {
    List<byte[]> messages = new ArrayList<>();
    if (!runtime.isClosed()) {
      MetricsSnapshot snapshot = runtime.snapshot();
      for (CommandSnapshot c : snapshot.commands()) {
        messages.add(HystrixMessages.command(c));
      }
      for (ThreadPoolSnapshot p : snapshot.threadPools()) {
        messages.add(HystrixMessages.threadPool(p));
      }
      for (CollapserSnapshot c : snapshot.collapsers()) {
        messages.add(HystrixMessages.collapser(CollapserFigures.of(c)));
      }
    }
    for (CollapserFigures c : collapserFigures()) {
      messages.add(HystrixMessages.collapser(c));
    }
    return Sse.events(messages);
  }

  private Collection<CollapserFigures> collapserFigures() {
    try {
      Collection<CollapserFigures> figures = collapsers.get();
      return figures == null ? List.of() : figures;
    } catch (RuntimeException e) {
      // The supplier is the user's code: its failure costs the collapser messages of one tick,
      // never the stream.
      log.warn("the collapser figures supplier failed; this tick has no collapser messages", e);
      return List.of();
    }
  }
}
