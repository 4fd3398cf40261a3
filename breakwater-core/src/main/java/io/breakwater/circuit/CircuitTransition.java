package io.breakwater.circuit;

import io.breakwater.metrics.HealthCounts;

/**
 * A circuit breaker changed state.
 *
 * @param commandName the command whose circuit it is
 * @param from the state before
 * @param to the state after
 * @param health the rolling health figures at the moment of the change
 * @param reason why, in words: for example {@code "error percentage 60 >= 50 over 20 requests"}
 * @param timeMillis wall-clock time of the change
 */
public record CircuitTransition(
    String commandName,
    CircuitState from,
    CircuitState to,
    HealthCounts health,
    String reason,
    long timeMillis) {}
