package io.breakwater.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where configuration keys and their values come from: system properties, a map, a
 * {@code .properties} file, or anything an application plugs in (a configuration service, a
 * database table).
 *
 * <p>A {@link ConfigurationBinder} reads keys with {@link #get(String)}, learns which command,
 * thread pool and collapser names a source mentions from {@link #snapshot()}, and recomputes
 * the configuration of everything a change touches when the source calls the listener given to
 * {@link #subscribe(Consumer)}. Values are the raw strings; the binder parses and validates them,
 * so a source never has to know what a key means.
 *
 * <p>Implementations must be thread-safe. A dynamic source calls its listeners after the new
 * values are visible to {@code get} and {@code snapshot}, on any thread, and not while holding a
 * lock its own readers need.
 */
public interface PropertySource {

  /** A short description for log messages, such as {@code system properties} or a file path. */
  String name();

  /** The value of {@code key}, or empty when this source does not set it. */
  Optional<String> get(String key);

  /** Every key this source sets, with its value, at one moment. The map is not modified later. */
  Map<String, String> snapshot();

  /**
   * Calls {@code listener} with the keys that were added, changed or removed, after every
   * change. A source whose values never change keeps the default, which registers nothing.
   */
  default Subscription subscribe(Consumer<Set<String>> listener) {
    return Subscription.NONE;
  }
}
