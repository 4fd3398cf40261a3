package io.breakwater.event;

import io.breakwater.circuit.CircuitTransition;

/**
 * Hears about circuits and executions. Any number may be registered and removed at any time.
 * Listeners are called on the thread where the event happened, so they must be quick; one that
 * throws is logged and never breaks a call or another listener.
 */
public interface CommandListener {

  /** A circuit changed state. */
  default void onCircuitTransition(CircuitTransition transition) {}

  /** An execution ended. Only built when at least one listener is registered. */
  default void onExecution(ExecutionRecord record) {}
}
