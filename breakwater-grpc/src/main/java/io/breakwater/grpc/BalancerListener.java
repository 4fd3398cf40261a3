package io.breakwater.grpc;

import java.net.SocketAddress;

/**
 * Hears when the instance balancer takes an instance out of rotation and puts it back. Calls
 * come one at a time, in order, through the channel's synchronization context, so a listener
 * must be quick and must not block; one that throws is logged and ignored.
 */
public interface BalancerListener {

  /** {@code ejection.address()} will get no calls until {@code ejection.until()} passes. */
  default void onEjected(Ejection ejection) {}

  /**
   * The ejection of {@code address} ran out and it is back in rotation. Noticed lazily, by the
   * first call that could have gone to it.
   */
  default void onReturned(SocketAddress address) {}
}
