package io.breakwater.config;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one dynamic {@link PropertySource}. Copy-on-write because listeners come
 * and go rarely and are told often; a listener that throws is logged and the others are still
 * told.
 */
final class Subscribers {

  private static final Logger log = LoggerFactory.getLogger(Subscribers.class);

  private final String sourceName;
  private final CopyOnWriteArrayList<Consumer<Set<String>>> listeners =
      new CopyOnWriteArrayList<>();

  Subscribers(String sourceName) {
    this.sourceName = sourceName;
  }

  Subscription add(Consumer<Set<String>> listener) {
    if (listener == null) {
      throw new NullPointerException("listener must not be null");
    }
    // A wrapper per subscription, so the same listener added twice is removed once per close.
    Consumer<Set<String>> entry = listener::accept;
    listeners.add(entry);
    return () -> listeners.remove(entry);
  }

  void tell(Set<String> changed) {
    if (changed.isEmpty()) {
      return;
    }
    Set<String> keys = Set.copyOf(changed);
    for (Consumer<Set<String>> listener : listeners) {
      try {
        listener.accept(keys);
      } catch (RuntimeException e) {
        log.warn("A listener of {} failed on a change of {}", sourceName, keys, e);
      }
    }
  }

  int size() {
    return listeners.size();
  }
}
