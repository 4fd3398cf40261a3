package io.breakwater.discovery;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where services announce themselves and clients find them.
 *
 * <p>A registry keeps the instances registered through it alive (heartbeats, TTL checks) until
 * they are deregistered or the registry is closed. Lookups answer healthy instances only. When the
 * backing store is unreachable or answers garbage, lookups and watches keep serving the last good
 * list instead of failing the caller.
 */
public interface Registry extends AutoCloseable {

  /**
   * Registers an instance and keeps it healthy until {@link #deregister} or {@link #close}.
   * Registering the same id again replaces the earlier registration.
   */
  void register(ServiceInstance instance);

  /** Removes an instance at once. Unknown ids are ignored. */
  void deregister(String instanceId);

  /** The healthy instances of a service, possibly empty, never null. */
  List<ServiceInstance> instances(String serviceName);

  /**
   * Calls {@code listener} with the current healthy instances of a service, then again after
   * every change, until the returned watch is closed. Never calls it twice in a row with the
   * same list.
   */
  Watch watch(String serviceName, Consumer<List<ServiceInstance>> listener);

  /** Deregisters what this registry registered and stops every thread it started. */
  @Override
  void close();

  /** A running watch; closing it stops further notifications. */
  interface Watch extends AutoCloseable {
    @Override
    void close();
  }
}
