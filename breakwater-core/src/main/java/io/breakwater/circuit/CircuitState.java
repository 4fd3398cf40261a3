package io.breakwater.circuit;

/**
 * The state of a command's circuit breaker. Forcing and disabling are configuration
 * ({@code forceOpen}, {@code forceClosed}, {@code circuitBreakerEnabled}) and override the state.
 */
public enum CircuitState {
  /** Calls go through; errors are counted. */
  CLOSED,
  /** Calls are refused until the sleep window has passed. */
  OPEN,
  /** One trial call is out; its outcome closes or reopens the circuit. */
  HALF_OPEN
}
