package io.breakwater.discovery;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers instance lists to one watch listener, one call at a time, newest list only, and never
 * the same list twice in a row.
 *
 * <p>Producers (any thread) {@link #offer} a list stamped with a version that grows with every
 * change of the registry. The offer is folded into {@code pending} keeping the highest version,
 * then whichever thread wins {@code draining} calls the listener until nothing newer is pending.
 * So two threads racing to report changes can never make the listener see an older list after a
 * newer one, a listener that changes the registry from inside its callback does not recurse, and no
 * lock is held while user code runs.
 */
final class Subscriber implements Registry.Watch {

  private static final Logger log = LoggerFactory.getLogger(Subscriber.class);

  private final String service;
  private final Consumer<List<ServiceInstance>> listener;
  private final Runnable onClose;
  private final AtomicReference<Update> pending = new AtomicReference<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile long deliveredVersion = Long.MIN_VALUE;
  // Written and read only by the thread that holds `draining`.
  private List<ServiceInstance> delivered;

  Subscriber(String service, Consumer<List<ServiceInstance>> listener, Runnable onClose) {
    this.service = service;
    this.listener = listener;
    this.onClose = onClose;
  }

  String service() {
    return service;
  }

  boolean isClosed() {
    return closed.get();
  }

  /** Hands over the list as of {@code version}; versions not above the highest seen are dropped. */
  void offer(long version, List<ServiceInstance> instances) {
    Update update = new Update(version, instances);
    pending.accumulateAndGet(update, (current, next) ->
        current == null || next.version > current.version ? next : current);
    drain();
  }

  private void drain() {
    while (draining.compareAndSet(false, true)) {
      try {
        Update update;
        while ((update = pending.get()) != null && update.version > deliveredVersion) {
          deliveredVersion = update.version;
          if (!closed.get() && !update.instances.equals(delivered)) {
            delivered = update.instances;
            call(update.instances);
          }
        }
      } finally {
        draining.set(false);
      }
      // An offer that arrived after the inner loop looked, but before `draining` was released,
      // found the flag taken and left its update for us: look once more.
      Update update = pending.get();
      if (update == null || update.version <= deliveredVersion) {
        return;
      }
    }
  }

  private void call(List<ServiceInstance> instances) {
    try {
      listener.accept(instances);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) {
        throw e;
      }
      // A listener's bug must not stop the registry nor other listeners.
      log.warn("Watch listener for service '{}' threw; the registry carries on", service, e);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      onClose.run();
    }
  }

  private record Update(long version, List<ServiceInstance> instances) {}
}
