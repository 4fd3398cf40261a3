package io.breakwater.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The JVM's system properties whose names start with {@code hystrix.} or {@code breakwater.}.
 *
 * <p>{@link #get(String)} reads {@link System#getProperty(String)} every time, so a value set
 * with {@code System.setProperty} is seen by the next recomputation. The JVM tells nobody when a
 * system property changes, so listeners hear of changes only when someone calls
 * {@link #refresh()}, which compares the properties with those seen at the previous refresh.
 * Thread-safe.
 */
public final class SystemPropertiesSource implements PropertySource {

  private static final String[] PREFIXES = {"hystrix.", "breakwater."};

  private final Subscribers subscribers = new Subscribers(name());
  /** Guards {@link #lastSeen} across concurrent refreshes. */
  private final ReentrantLock refreshLock = new ReentrantLock();
  private Map<String, String> lastSeen;

  private SystemPropertiesSource() {
    this.lastSeen = snapshot();
  }

  public static SystemPropertiesSource create() {
    return new SystemPropertiesSource();
  }

  @Override
  public String name() {
    return "system properties";
  }

  @Override
  public Optional<String> get(String key) {
    return Optional.ofNullable(System.getProperty(key));
  }

  @Override
  public Map<String, String> snapshot() {
    Properties all = System.getProperties();
    Map<String, String> ours = new HashMap<>();
    for (String key : all.stringPropertyNames()) {
      if (isOurs(key)) {
        String value = all.getProperty(key);
        if (value != null) {
          ours.put(key, value);
        }
      }
    }
    return Map.copyOf(ours);
  }

  /**
   * Reads the system properties again and tells the listeners which of ours were added, changed
   * or removed since the last refresh (or since this source was created).
   *
   * @return the keys that changed
   */
  public Set<String> refresh() {
    Set<String> changed = new HashSet<>();
    refreshLock.lock();
    try {
      Map<String, String> now = snapshot();
      Map<String, String> before = lastSeen;
      now.forEach((k, v) -> {
        if (!v.equals(before.get(k))) {
          changed.add(k);
        }
      });
      for (String k : before.keySet()) {
        if (!now.containsKey(k)) {
          changed.add(k);
        }
      }
      lastSeen = now;
    } finally {
      refreshLock.unlock();
    }
    subscribers.tell(changed);
    return Set.copyOf(changed);
  }

  @Override
  public Subscription subscribe(Consumer<Set<String>> listener) {
    return subscribers.add(listener);
  }

  private static boolean isOurs(String key) {
    for (String prefix : PREFIXES) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
