package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.circuit.CircuitState;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The circuit breaker against a model small enough to be obviously right: random sequences of
 * successes, failures, passing time and calls made while a trial is out must give the same
 * answers and the same states in both.
 */
class CircuitBreakerPropertyTest {

  private static final int VOLUME = 5;
  private static final int THRESHOLD = 50;
  private static final long SLEEP_MS = 1_000;
  private static final long BUCKET_MS = 1_000;
  private static final int BUCKETS = 10;

  sealed interface Op permits Call, Advance {}

  /** A call that succeeds or fails; {@code nested}: while it runs, another call is made. */
  record Call(boolean succeeds, boolean nested) implements Op {}

  record Advance(long millis) implements Op {}

  @Provide
  Arbitrary<Op> ops() {
    Arbitrary<Op> calls = Arbitraries.of(true, false).flatMap(ok -> Arbitraries.of(true, false)
        .map(nested -> (Op) new Call(ok, nested)));
    Arbitrary<Op> waits = Arbitraries.longs().between(0, 3_000).map(Advance::new);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, calls), net.jqwik.api.Tuple.of(2, waits));
  }

  /** The model: explicit state, and the outcomes in the window as (time, error) pairs. */
  static final class Model {
    CircuitState state = CircuitState.CLOSED;
    long openedAt;
    long resetAt = Long.MIN_VALUE;
    final List<long[]> outcomes = new ArrayList<>();
    final long origin;

    Model(long origin) {
      this.origin = origin;
    }

    long bucket(long t) {
      return (t - origin) / BUCKET_MS;
    }

    /** The answer a call gets: the run's answer, or the fallback's. */
    String call(long now, boolean succeeds, Runnable whileRunning) {
      boolean trial = false;
      if (state == CircuitState.OPEN) {
        if (now - openedAt < SLEEP_MS) {
          return "fallback";
        }
        state = CircuitState.HALF_OPEN;
        trial = true;
      } else if (state == CircuitState.HALF_OPEN) {
        return "fallback";
      }
      whileRunning.run();
      if (trial) {
        if (succeeds) {
          state = CircuitState.CLOSED;
          resetAt = now;
          outcomes.clear();
        } else {
          state = CircuitState.OPEN;
          openedAt = now;
        }
        return succeeds ? "ok" : "fallback";
      }
      outcomes.add(new long[] {now, succeeds ? 0 : 1});
      if (!succeeds) {
        long total = 0;
        long errors = 0;
        for (long[] o : outcomes) {
          if (bucket(o[0]) > bucket(now) - BUCKETS) {
            total++;
            errors += o[1];
          }
        }
        if (total >= VOLUME && errors * 100 / total >= THRESHOLD) {
          state = CircuitState.OPEN;
          openedAt = now;
        }
      }
      return succeeds ? "ok" : "fallback";
    }
  }

  @Property(tries = 300)
  void breakerBehavesLikeTheModel(@ForAll @Size(max = 80) List<@From("ops") Op> ops) {
    FakeClock clock = new FakeClock();
    try (BreakwaterRuntime runtime = BreakwaterRuntime.builder().clock(clock).build()) {
      runtime.configure("model", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
          .timeoutEnabled(false).requestVolumeThreshold(VOLUME)
          .errorThresholdPercentage(THRESHOLD).sleepWindowMillis(SLEEP_MS)
          .rollingStatsWindowMillis(BUCKET_MS * BUCKETS).rollingStatsBuckets(BUCKETS).build());
      runtime.snapshot("model");
      Model model = new Model(clock.nanoTime() / 1_000_000);

      for (Op op : ops) {
        if (op instanceof Advance a) {
          clock.advanceMillis(a.millis());
          continue;
        }
        Call c = (Call) op;
        long now = clock.nanoTime() / 1_000_000;
        String[] nestedReal = new String[1];
        String[] nestedModel = new String[1];
        String real = runtime.execute("model", () -> {
          if (c.nested()) {
            nestedReal[0] = runtime.execute("model", () -> "ok", Fallback.of("fallback"));
          }
          if (!c.succeeds()) {
            throw new IllegalStateException("down");
          }
          return "ok";
        }, Fallback.of("fallback"));
        String expected = model.call(now, c.succeeds(), () -> {
          if (c.nested()) {
            nestedModel[0] = model.call(now, true, () -> { });
          }
        });
        assertThat(real).as("answer to %s", op).isEqualTo(expected);
        assertThat(nestedReal[0]).as("nested answer in %s", op).isEqualTo(nestedModel[0]);
        assertThat(runtime.circuitState("model")).as("state after %s", op)
            .isEqualTo(model.state);
      }
    }
  }
}
