package io.breakwater.internal;

import io.breakwater.Clock;
import io.breakwater.CommandConfig;
import io.breakwater.circuit.CircuitState;
import io.breakwater.circuit.CircuitTransition;
import io.breakwater.event.EventType;
import io.breakwater.metrics.HealthCounts;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker of one command: CLOSED, OPEN and HALF_OPEN, explicit.
 *
 * <p>The whole state is one {@code long}: the time of the last transition (nanoseconds since
 * this breaker was made) shifted left by two, and the state in the low two bits. One CAS moves
 * state and time together, so no reader ever sees a new state with an old time.
 *
 * <p>CLOSED lets every call through. The error path asks the metrics for fresh health and opens
 * the circuit on the very call that crosses the thresholds (requests at or above the volume
 * threshold and error percentage at or above its threshold); the success path never opens it
 * and only reads the state. OPEN refuses calls until the sleep window has passed; then one call
 * moves the breaker to HALF_OPEN and becomes the trial. While HALF_OPEN every other call is
 * refused. The trial's success closes the circuit and starts health from zero; its failure,
 * timeout or rejection reopens it for a new sleep window. A trial that never reports back
 * cannot wedge the breaker: once it has been out for its timeout plus a sleep window, the next
 * call becomes a new trial, and the stale one's report is ignored because it carries the old
 * state word as its token.
 *
 * <p>Forced open refuses everything; forced closed and disabled let everything through, and in
 * both cases the state does not move.
 */
final class CircuitBreaker {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  /** {@link #tryPass} answer: refuse the call. */
  static final long DENIED = -1;
  /** {@link #tryPass} answer: let the call through, it is not a trial. */
  static final long ALLOWED = 0;

  private static final int CLOSED = 0;
  private static final int OPEN = 1;
  private static final int HALF_OPEN = 2;

  private final String name;
  private final Clock clock;
  private final CommandMetrics metrics;
  private final Listeners listeners;
  private final long origin;
  private final AtomicLong word = new AtomicLong(CLOSED);

  CircuitBreaker(String name, Clock clock, CommandMetrics metrics, Listeners listeners) {
    this.name = name;
    this.clock = clock;
    this.metrics = metrics;
    this.listeners = listeners;
    this.origin = clock.nanoTime();
  }

  /**
   * Whether a call may go through: {@link #DENIED}, {@link #ALLOWED}, or a positive trial token
   * that must be handed back to {@link #onSuccess}, {@link #onError} or {@link #onAbandoned}.
   * Reads the clock only when the circuit is open or half-open.
   */
  long tryPass(CommandConfig config) {
    long w = word.get();
    if ((w & 3) == CLOSED && !config.forceOpen()) {
      return ALLOWED; // the common case, small enough to be inlined into every call
    }
    return tryPassNotClosed(config, w);
  }

  private long tryPassNotClosed(CommandConfig config, long w) {
    if (!config.circuitBreakerEnabled()) {
      return ALLOWED; // a disabled breaker lets everything through, forced open or not
    }
    if (config.forceOpen()) {
      return DENIED;
    }
    int state = (int) (w & 3);
    if (state == CLOSED || config.forceClosed() || !config.circuitBreakerEnabled()) {
      return ALLOWED;
    }
    // Only an open or half-open circuit needs the time: the closed path never reads the clock.
    long now = clock.nanoTime();
    long since = elapsed(now, w);
    long sleep = config.sleepWindowMillis() * 1_000_000L;
    if (state == OPEN) {
      if (since >= sleep) {
        long trial = encode(now, HALF_OPEN);
        if (word.compareAndSet(w, trial)) {
          transition(CircuitState.OPEN, CircuitState.HALF_OPEN,
              "sleep window of " + config.sleepWindowMillis() + " ms passed, one trial call",
              null);
          return trial;
        }
      }
      return DENIED;
    }
    long abandonAfter =
        sleep + (config.timeoutEnabled() ? config.timeoutMillis() * 1_000_000L : 0);
    if (since >= abandonAfter) {
      long trial = encode(now, HALF_OPEN);
      if (word.compareAndSet(w, trial)) {
        log.warn("Circuit of {}: trial call never reported back after {} ms, trying another",
            name, since / 1_000_000);
        return trial;
      }
    }
    return DENIED;
  }

  /** A call that went through succeeded. */
  void onSuccess(long token) {
    if (token > 0 && word.compareAndSet(token, encode(clock.nanoTime(), CLOSED))) {
      metrics.resetHealth();
      transition(CircuitState.HALF_OPEN, CircuitState.CLOSED, "trial call succeeded",
          HealthCounts.EMPTY);
    }
  }

  /**
   * A call that went through failed, timed out or was rejected. A trial reopens the circuit; any
   * other call re-evaluates health and may open it.
   */
  void onError(long token, long now, CommandConfig config, EventType outcome) {
    if (token > 0) {
      if (word.compareAndSet(token, encode(now, OPEN))) {
        transition(CircuitState.HALF_OPEN, CircuitState.OPEN, trialOutcome(outcome), null);
      }
      return;
    }
    long w = word.get();
    if ((w & 3) != CLOSED || config.forceClosed() || !config.circuitBreakerEnabled()) {
      return;
    }
    HealthCounts health = metrics.health(now);
    if (health.total() >= config.requestVolumeThreshold()
        && health.errorPercentage() >= config.errorThresholdPercentage()
        && word.compareAndSet(w, encode(now, OPEN))) {
      transition(CircuitState.CLOSED, CircuitState.OPEN,
          "error percentage " + health.errorPercentage() + " >= "
              + config.errorThresholdPercentage() + " over " + health.total() + " requests",
          health);
    }
  }

  private static String trialOutcome(EventType outcome) {
    switch (outcome) {
      case TIMEOUT:
        return "trial call timed out";
      case SEMAPHORE_REJECTED:
      case THREAD_POOL_REJECTED:
        return "trial call was rejected";
      default:
        return "trial call failed";
    }
  }

  /**
   * A trial ended without telling anything about the dependency: it was cancelled, or the
   * caller's request was bad. The circuit goes back to OPEN with its sleep window already over,
   * so the next call is the next trial.
   */
  void onAbandoned(long token, CommandConfig config) {
    if (token > 0) {
      long past = clock.nanoTime() - config.sleepWindowMillis() * 1_000_000L;
      if (word.compareAndSet(token, encode(past, OPEN))) {
        transition(CircuitState.HALF_OPEN, CircuitState.OPEN,
            "trial call ended without an answer from the dependency", null);
      }
    }
  }

  CircuitState state() {
    switch ((int) (word.get() & 3)) {
      case OPEN:
        return CircuitState.OPEN;
      case HALF_OPEN:
        return CircuitState.HALF_OPEN;
      default:
        return CircuitState.CLOSED;
    }
  }

  /** Closes the circuit and starts health from zero, whatever the state. */
  void reset() {
    long w = word.getAndSet(encode(clock.nanoTime(), CLOSED));
    metrics.resetHealth();
    if ((w & 3) != CLOSED) {
      transition(decode(w), CircuitState.CLOSED, "reset", HealthCounts.EMPTY);
    }
  }

  private void transition(CircuitState from, CircuitState to, String reason, HealthCounts h) {
    HealthCounts health = h != null ? h : metrics.health(clock.nanoTime());
    log.info("Circuit of {} {} -> {}: {} (requests {}, errors {}, error percentage {})",
        name, from, to, reason, health.total(), health.errors(), health.errorPercentage());
    listeners.circuitTransition(new CircuitTransition(
        name, from, to, health, reason, clock.currentTimeMillis()));
  }

  private static CircuitState decode(long w) {
    int s = (int) (w & 3);
    return s == OPEN ? CircuitState.OPEN
        : s == HALF_OPEN ? CircuitState.HALF_OPEN : CircuitState.CLOSED;
  }

  private long encode(long now, int state) {
    // Time is kept relative to this breaker's creation so that it is never negative.
    return (Math.max(0, now - origin) << 2) | state;
  }

  private long elapsed(long now, long w) {
    return (now - origin) - (w >>> 2);
  }
}
