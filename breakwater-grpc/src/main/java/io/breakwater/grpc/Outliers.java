package io.breakwater.grpc;

import io.breakwater.discovery.Ticker;
import io.grpc.SynchronizationContext;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outlier ejection for one channel's instances: counts each instance's failures in a row from
 * its calls' close statuses, ejects an instance whose run reaches the threshold, and lets it
 * back in once its time is up.
 *
 * <p>Outcomes arrive on transport threads, picks on callers' threads, membership changes in the
 * synchronization context. A success is one plain write to the instance's counter and a failure
 * one increment; only an ejection, a return and a membership change take {@code lock}, which
 * guards the ejection fields of every instance and {@code members}, so that the limit on
 * ejections is checked and applied atomically. No lock is held while listeners run: they go
 * through the synchronization context, in order.
 *
 * <p>Returns are lazy: an ejected instance carries the time its ejection ends, pickers skip it
 * until then, and the first pick after that moment puts it back. So no timer runs, and a test
 * moves time by moving the {@link Ticker}.
 */
final class Outliers {

  private static final Logger log = LoggerFactory.getLogger(Outliers.class);

  private final Ticker ticker;
  private final SynchronizationContext sync;
  private final BalancerListener listener;
  private final String channel;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile OutlierEjection config = OutlierEjection.defaults();
  private List<Instance> members = List.of();
  /** Instances ejected now; 0 lets pickers skip every ejection check. */
  private volatile int ejectedCount;

  Outliers(Ticker ticker, SynchronizationContext sync, BalancerListener listener,
      String channel) {
    this.ticker = ticker;
    this.sync = sync;
    this.listener = listener;
    this.channel = channel;
  }

  void configure(OutlierEjection next) {
    config = next;
    if (!next.enabled()) {
      List<Instance> returned = new ArrayList<>();
      lock.lock();
      try {
        for (Instance i : members) {
          if (i.ejected) {
            putBack(i, ticker.nanos());
            returned.add(i);
          }
        }
      } finally {
        lock.unlock();
      }
      returned.forEach(this::announceReturn);
    }
  }

  /** The channel's instances now; those gone are forgotten, ejected or not. */
  void members(Collection<Instance> current) {
    lock.lock();
    try {
      for (Instance i : members) {
        if (!current.contains(i)) {
          i.removed = true;
          if (i.ejected) {
            i.ejected = false;
            ejectedCount--;
          }
        }
      }
      members = List.copyOf(current);
    } finally {
      lock.unlock();
    }
  }

  boolean anyEjected() {
    return ejectedCount > 0;
  }

  /** Counts a closed call against (or for) the instance that served it. */
  void record(Instance instance, InstanceOutcome outcome) {
    OutlierEjection c = config;
    if (!c.enabled()) {
      return;
    }
    switch (outcome) {
      case HEALTHY:
        if (instance.consecutiveFailures.get() != 0) {
          instance.consecutiveFailures.set(0);
        }
        break;
      case FAILURE:
        if (instance.consecutiveFailures.incrementAndGet() >= c.consecutiveFailures()
            && !instance.ejected) {
          eject(instance, c);
        }
        break;
      case IGNORED:
      default:
        break;
    }
  }

  /**
   * The instances of {@code ready} in rotation now. When every one of them is ejected (the
   * others are not connected), all of them: calling a suspect instance beats failing the call
   * without trying.
   */
  Instance[] inRotation(Instance[] ready) {
    long now = ticker.nanos();
    int available = 0;
    for (Instance i : ready) {
      if (inRotation(i, now)) {
        available++;
      }
    }
    if (available == ready.length || available == 0) {
      return ready;
    }
    Instance[] result = new Instance[available];
    int n = 0;
    for (Instance i : ready) {
      if (!i.ejected) {
        result[n++] = i;
        if (n == available) {
          break;
        }
      }
    }
    return n == available ? result : ready;
  }

  private boolean inRotation(Instance i, long now) {
    if (!i.ejected) {
      return true;
    }
    if (now - i.ejectedUntilNanos < 0) {
      return false;
    }
    boolean returned = false;
    lock.lock();
    try {
      if (i.ejected && now - i.ejectedUntilNanos >= 0) {
        putBack(i, now);
        returned = true;
      }
    } finally {
      lock.unlock();
    }
    if (returned) {
      announceReturn(i);
    }
    return !i.ejected;
  }

  private void eject(Instance instance, OutlierEjection c) {
    List<Instance> returned = new ArrayList<>();
    Ejection ejection;
    lock.lock();
    try {
      int failures = instance.consecutiveFailures.get();
      if (instance.removed || instance.ejected || failures < c.consecutiveFailures()) {
        return; // a racing failure ejected it already, or a success ended the run
      }
      long now = ticker.nanos();
      // Ejections whose time is up no longer count against the limit.
      for (Instance i : members) {
        if (i.ejected && now - i.ejectedUntilNanos >= 0) {
          putBack(i, now);
          returned.add(i);
        }
      }
      int limit = c.maxEjected(members.size());
      if (ejectedCount >= limit) {
        if (log.isDebugEnabled()) {
          log.debug("{}: {} failed {} times in a row but stays: {} of {} instances ejected "
              + "already, the most allowed", channel, instance, failures, ejectedCount,
              members.size());
        }
        ejection = null;
      } else {
        int count = decayedCount(instance, now, c) + 1;
        Duration time = c.ejectionTime(count);
        instance.ejectionCount = count;
        instance.ejectedUntilNanos = now + time.toNanos();
        instance.ejected = true;
        instance.consecutiveFailures.set(0);
        ejectedCount++;
        ejection = new Ejection(instance.address, failures, count, time);
      }
    } finally {
      lock.unlock();
    }
    returned.forEach(this::announceReturn);
    if (ejection != null) {
      announceEjection(ejection);
    }
  }

  /**
   * The ejection count less one for every base ejection time spent back in rotation since the
   * last ejection ended: an instance that has behaved for a while starts over.
   */
  private static int decayedCount(Instance i, long now, OutlierEjection c) {
    if (i.ejectionCount == 0) {
      return 0;
    }
    long periods = (now - i.returnedAtNanos) / c.baseEjectionTime().toNanos();
    return (int) Math.max(0, i.ejectionCount - Math.max(0, periods));
  }

  /** Called under the lock. */
  private void putBack(Instance i, long now) {
    i.ejected = false;
    // Decay counts from when the ejection was due to end, however late it was noticed.
    i.returnedAtNanos = now - i.ejectedUntilNanos < 0 ? now : i.ejectedUntilNanos;
    i.consecutiveFailures.set(0);
    ejectedCount--;
  }

  private void announceEjection(Ejection e) {
    sync.execute(() -> {
      log.info("{}: ejected {} for {} ms after {} failures in a row (ejection #{})", channel,
          e.address(), e.duration().toMillis(), e.consecutiveFailures(), e.ejectionCount());
      if (listener != null) {
        try {
          listener.onEjected(e);
        } catch (RuntimeException ex) {
          log.warn("{}: balancer listener threw on an ejection; ignored", channel, ex);
        }
      }
    });
  }

  private void announceReturn(Instance i) {
    SocketAddress address = i.address;
    sync.execute(() -> {
      log.info("{}: {} is back in rotation", channel, address);
      if (listener != null) {
        try {
          listener.onReturned(address);
        } catch (RuntimeException ex) {
          log.warn("{}: balancer listener threw on a return; ignored", channel, ex);
        }
      }
    });
  }
}
