package io.breakwater.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of a {@code .properties} file (read as UTF-8), such as a Hystrix application's
 * existing {@code config.properties}.
 *
 * <p>The file is read once when the source is opened. {@link #reload()} reads it again and
 * tells the listeners which keys changed; {@link #startPolling(Duration)} does that on a
 * schedule, on one daemon thread that only exists if asked for and stops at {@link #close()}.
 * When a reload cannot read the file (it is being replaced, or was deleted) the source logs a
 * WARN and keeps the values it had, rather than dropping every key. Thread-safe.
 */
public final class PropertiesFileSource implements PropertySource, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PropertiesFileSource.class);

  private final Path file;
  private final Subscribers subscribers;
  /** Guards the read-compare-publish of a reload and the polling thread's lifecycle. */
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Map<String, String> values;
  private ScheduledExecutorService poller;
  private boolean closed;

  private PropertiesFileSource(Path file) {
    this.file = file;
    this.subscribers = new Subscribers(file.toString());
    this.values = read(file);
  }

  /**
   * Reads {@code file}.
   *
   * @throws UncheckedIOException naming the file when it cannot be read
   */
  public static PropertiesFileSource open(Path file) {
    return new PropertiesFileSource(Objects.requireNonNull(file, "file must not be null"));
  }

  /** The file this source reads. */
  public Path file() {
    return file;
  }

  /**
   * Reads the file again and tells the listeners which keys were added, changed or removed.
   *
   * @return true when the file was read (even if nothing changed), false when it could not be
   *     read and the previous values were kept
   */
  public boolean reload() {
    Set<String> changed = new HashSet<>();
    lock.lock();
    try {
      Map<String, String> next;
      try {
        next = read(file);
      } catch (UncheckedIOException e) {
        log.warn("Could not reload {}; keeping the {} keys read before: {}", file,
            values.size(), e.getCause().toString());
        return false;
      }
      Map<String, String> previous = values;
      next.forEach((k, v) -> {
        if (!v.equals(previous.get(k))) {
          changed.add(k);
        }
      });
      for (String k : previous.keySet()) {
        if (!next.containsKey(k)) {
          changed.add(k);
        }
      }
      values = next;
    } finally {
      lock.unlock();
    }
    subscribers.tell(changed);
    return true;
  }

  /**
   * Reloads the file every {@code interval} on a daemon thread of its own until {@link #close()}.
   *
   * @throws IllegalArgumentException when the interval is not positive
   * @throws IllegalStateException when polling already runs or the source is closed
   */
  public PropertiesFileSource startPolling(Duration interval) {
    Objects.requireNonNull(interval, "interval must not be null");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, was " + interval);
    }
    lock.lock();
    try {
      if (poller != null || closed) {
        throw new IllegalStateException(
            "polling of " + file + " already runs or the source is closed");
      }
      poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "breakwater-config-poll-" + file.getFileName());
        t.setDaemon(true);
        return t;
      });
      long nanos = interval.toNanos();
      poller.scheduleWithFixedDelay(this::reloadQuietly, nanos, nanos, TimeUnit.NANOSECONDS);
    } finally {
      lock.unlock();
    }
    return this;
  }

  private void reloadQuietly() {
    try {
      reload();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; keep polling.
      log.warn("Reloading {} failed", file, e);
    }
  }

  /** Stops polling, if it runs. The values stay readable. */
  @Override
  public void close() {
    ScheduledExecutorService p;
    lock.lock();
    try {
      p = poller;
      poller = null;
      closed = true;
    } finally {
      lock.unlock();
    }
    if (p != null) {
      p.shutdownNow();
    }
  }

  @Override
  public String name() {
    return file.toString();
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

  private static Map<String, String> read(Path file) {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration file " + file, e);
    }
    Map<String, String> map = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      map.put(key, props.getProperty(key));
    }
    return Map.copyOf(map);
  }
}
