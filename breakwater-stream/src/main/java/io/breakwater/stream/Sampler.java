package io.breakwater.stream;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread of a server that builds stream ticks. Connections are grouped by what they
 * watch and how often ({@code ?delay=}); each group has one periodic task that builds the tick
 * once and offers the same bytes to every member. Building a tick reads snapshots only, so the
 * commands being measured never wait for it.
 *
 * <p>The thread also runs the fleet feeds' bookkeeping (reconnecting to instances), so that a
 * server has a single place where its timers live.
 */
final class Sampler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Sampler.class);
  private static final AtomicInteger SAMPLERS = new AtomicInteger();

  private final ScheduledThreadPoolExecutor executor;
  /** Guards {@link #groups} and the activation of feeds; nothing blocking runs under it. */
  private final Object lock = new Object();
  private final Map<Key, Group> groups = new HashMap<>();
  private final Map<Feed, Integer> feedUsers = new HashMap<>();

  Sampler() {
    String name = "breakwater-stream-sampler-" + SAMPLERS.incrementAndGet();
    executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  ScheduledExecutorService executor() {
    return executor;
  }

  /**
   * Starts sending {@code feed}'s ticks every {@code delayMillis} to {@code connection}; the
   * first tick is built at once. Returns the handle that stops it.
   */
  Runnable subscribe(Feed feed, long delayMillis, StreamConnection connection) {
    Key key = new Key(feed, delayMillis);
    synchronized (lock) {
      if (feedUsers.merge(feed, 1, Integer::sum) == 1) {
        feed.activate();
      }
      Group group = groups.get(key);
      if (group == null) {
        group = new Group(feed);
        groups.put(key, group);
        Group g = group;
        group.task = executor.scheduleAtFixedRate(
            g::tick, delayMillis, delayMillis, TimeUnit.MILLISECONDS);
      }
      group.members.add(connection);
    }
    try {
      executor.execute(() -> connection.offer(safeTick(feed)));
    } catch (RejectedExecutionException e) {
      connection.close();
    }
    return () -> unsubscribe(key, connection);
  }

  private void unsubscribe(Key key, StreamConnection connection) {
    synchronized (lock) {
      Group group = groups.get(key);
      if (group == null || !group.members.remove(connection)) {
        return;
      }
      if (group.members.isEmpty()) {
        group.task.cancel(false);
        groups.remove(key);
      }
      if (feedUsers.merge(key.feed, -1, Integer::sum) == 0) {
        feedUsers.remove(key.feed);
        key.feed.deactivate();
      }
    }
  }

  /** Connections currently subscribed, over all feeds. */
  int connections() {
    synchronized (lock) {
      return groups.values().stream().mapToInt(g -> g.members.size()).sum();
    }
  }

  private static byte[] safeTick(Feed feed) {
    try {
      return feed.tick();
    } catch (RuntimeException e) {
      // A bug in building one tick must not stop the periodic task (a thrown exception would
      // cancel it for good): the readers get a ping instead and the next tick tries again.
      log.error("could not build a stream tick", e);
      return new byte[0];
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      for (Group group : groups.values()) {
        group.task.cancel(false);
        for (StreamConnection c : group.members) {
          c.close();
        }
      }
      groups.clear();
      for (Feed feed : feedUsers.keySet()) {
        feed.deactivate();
      }
      feedUsers.clear();
    }
    executor.shutdownNow();
  }

  boolean awaitTermination(long millis) throws InterruptedException {
    return executor.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }

  private record Key(Feed feed, long delayMillis) {
    Key {
      Objects.requireNonNull(feed);
    }
  }

  private static final class Group {
    final Feed feed;
    final Set<StreamConnection> members = new CopyOnWriteArraySet<>();
    ScheduledFuture<?> task;

    Group(Feed feed) {
      this.feed = feed;
    }

    void tick() {
      byte[] bytes = safeTick(feed);
      for (StreamConnection c : members) {
        c.offer(bytes);
      }
    }
  }
}
