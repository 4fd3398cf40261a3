package io.breakwater.config;

/** A registered listener; closing it stops the notifications. Closing twice does nothing. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

  /** The subscription of a source that never changes. */
  Subscription NONE = () -> { };

  @Override
  void close();
}
