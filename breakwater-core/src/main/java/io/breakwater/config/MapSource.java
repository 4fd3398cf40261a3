package io.breakwater.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Keys held in memory that the application changes at run time, for tests, admin endpoints, or
 * a bridge from a configuration service that pushes updates.
 *
 * <p>Every write replaces an immutable map, so readers never lock and a {@link #snapshot()} is
 * always one consistent state; writers take a lock only to build the next map. Listeners are
 * told after the lock is released, once per call, with the keys whose value really changed:
 * {@link #setAll(Map)} changes several keys in one notification, which the binder applies as
 * one update. Thread-safe.
 */
public final class MapSource implements PropertySource {

  private final String name;
  /** Guards the read-modify-write of {@link #values}; readers don't take it. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Subscribers subscribers;
  private volatile Map<String, String> values = Map.of();

  private MapSource(String name, Map<String, String> initial) {
    this.name = Objects.requireNonNull(name, "name must not be null");
    this.subscribers = new Subscribers(name);
    this.values = copy(initial);
  }

  /** An empty source. */
  public static MapSource create() {
    return new MapSource("map source", Map.of());
  }

  /** A source holding a copy of {@code initial}. */
  public static MapSource of(Map<String, String> initial) {
    return new MapSource("map source", initial);
  }

  /** A source named {@code name} in log messages, holding a copy of {@code initial}. */
  public static MapSource of(String name, Map<String, String> initial) {
    return new MapSource(name, initial);
  }

  /** Sets one key and tells the listeners if its value changed. */
  public MapSource set(String key, String value) {
    return setAll(Map.of(requireKey(key), Objects.requireNonNull(value, "value must not be null")));
  }

  /** Removes one key and tells the listeners if it was set. */
  public MapSource remove(String key) {
    requireKey(key);
    Set<String> changed;
    writeLock.lock();
    try {
      if (!values.containsKey(key)) {
        return this;
      }
      Map<String, String> next = new HashMap<>(values);
      next.remove(key);
      values = Map.copyOf(next);
      changed = Set.of(key);
    } finally {
      writeLock.unlock();
    }
    subscribers.tell(changed);
    return this;
  }

  /** Sets several keys at once; the listeners hear of all the changes in one notification. */
  public MapSource setAll(Map<String, String> entries) {
    Map<String, String> added = copy(entries);
    Set<String> changed = new HashSet<>();
    writeLock.lock();
    try {
      Map<String, String> next = new HashMap<>(values);
      added.forEach((k, v) -> {
        if (!v.equals(next.put(k, v))) {
          changed.add(k);
        }
      });
      values = Map.copyOf(next);
    } finally {
      writeLock.unlock();
    }
    subscribers.tell(changed);
    return this;
  }

  /** Replaces every key with {@code entries}, in one notification. */
  public MapSource replaceAll(Map<String, String> entries) {
    Map<String, String> next = copy(entries);
    Set<String> changed = new HashSet<>();
    writeLock.lock();
    try {
      Map<String, String> previous = values;
      previous.forEach((k, v) -> {
        if (!v.equals(next.get(k))) {
          changed.add(k);
        }
      });
      next.forEach((k, v) -> {
        if (!previous.containsKey(k)) {
          changed.add(k);
        }
      });
      values = next;
    } finally {
      writeLock.unlock();
    }
    subscribers.tell(changed);
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  @Override
  public Map<String, String> snapshot() {
    return values;
  }

  @Override
  public Subscription subscribe(Consumer<Set<String>> listener) {
    return subscribers.add(listener);
  }

  /** Listeners currently registered; lets tests prove that closing a binder removes its own. */
  public int listenerCount() {
    return subscribers.size();
  }

  private static Map<String, String> copy(Map<String, String> entries) {
    Objects.requireNonNull(entries, "entries must not be null");
    entries.forEach((k, v) -> {
      requireKey(k);
      Objects.requireNonNull(v, () -> "value of key '" + k + "' must not be null");
    });
    return Map.copyOf(entries);
  }

  private static String requireKey(String key) {
    Objects.requireNonNull(key, "key must not be null");
    if (key.isBlank()) {
      throw new IllegalArgumentException("key must not be blank, was '" + key + "'");
    }
    return key;
  }
}
