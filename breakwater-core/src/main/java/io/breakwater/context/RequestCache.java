package io.breakwater.context;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The answers of commands within one request, by command name and cache key. An entry is
 * placed when an execution starts, so a second caller with the same key waits for the first
 * execution instead of running its own (in-flight de-duplication), and gets the same answer:
 * the value, the fallback's value, or the exception.
 */
public final class RequestCache {

  private final ConcurrentHashMap<Key, CompletableFuture<?>> entries = new ConcurrentHashMap<>();

  RequestCache() {}

  /**
   * Places {@code pending} under the key unless an entry is there; returns the entry that was
   * there, or null when {@code pending} was placed.
   */
  public CompletableFuture<?> putIfAbsent(
      String commandName, String cacheKey, CompletableFuture<?> pending) {
    return entries.putIfAbsent(new Key(commandName, cacheKey), pending);
  }

  /** Removes an entry so the next call with this key executes again. */
  public void invalidate(String commandName, String cacheKey) {
    entries.remove(new Key(commandName, cacheKey));
  }

  /** Whether an answer (or an execution in flight) is cached under the key. */
  public boolean contains(String commandName, String cacheKey) {
    return entries.containsKey(new Key(commandName, cacheKey));
  }

  public int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }

  private record Key(String command, String cacheKey) {
    Key {
      Objects.requireNonNull(command, "command");
      Objects.requireNonNull(cacheKey, "cacheKey");
    }
  }
}
