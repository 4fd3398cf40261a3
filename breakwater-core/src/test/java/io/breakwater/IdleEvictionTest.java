package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IdleEvictionTest {

  private final FakeClock clock = new FakeClock();

  private BreakwaterRuntime runtime(Duration idle) {
    BreakwaterRuntime r = BreakwaterRuntime.builder().clock(clock).idleEviction(idle).build();
    r.configureDefault(CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .timeoutEnabled(false).build());
    return r;
  }

  @Test
  void tenThousandOneOffCommandsDoNotAccumulate() {
    try (BreakwaterRuntime runtime = runtime(Duration.ofMinutes(1))) {
      for (int i = 0; i < 10_000; i++) {
        runtime.execute("one-off-" + i, () -> "x");
        clock.advanceMillis(60);
      }
      // Commands idle for a minute have gone; at most the last minute's (about 1000) remain.
      assertThat(runtime.snapshot().commands().size()).isLessThan(2_000);
      clock.advance(Duration.ofMinutes(3));
      runtime.snapshot();
      runtime.evictIdle();
      assertThat(runtime.snapshot().commands()).isEmpty();
    }
  }

  @Test
  void busyAndConfiguredCommandsAreKeptIdleUnconfiguredOnesGo() {
    try (BreakwaterRuntime runtime = runtime(Duration.ofMinutes(1))) {
      runtime.configure("configured", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
          .timeoutMillis(1234).build());
      runtime.execute("configured", () -> "x");
      runtime.execute("one-off", () -> "x");
      for (int i = 0; i < 10; i++) {
        runtime.execute("busy", () -> "x");
        clock.advance(Duration.ofSeconds(30));
        runtime.evictIdle();
      }
      assertThat(runtime.snapshot().commands()).extracting(CommandSnapshot::name)
          .containsExactlyInAnyOrder("busy", "configured");
      assertThat(runtime.snapshot("configured").cumulativeCount(EventType.SUCCESS)).isEqualTo(1);
      assertThat(runtime.config("configured").timeoutMillis()).isEqualTo(1234);
    }
  }

  @Test
  void aConfiguredCommandIsListedBeforeItsFirstCall() {
    try (BreakwaterRuntime runtime = runtime(Duration.ofMinutes(1))) {
      runtime.configure("declared", CommandConfig.defaults());
      assertThat(runtime.snapshot().commands()).extracting(CommandSnapshot::name)
          .containsExactly("declared");
    }
  }

  @Test
  void anOpenCircuitIsNeverEvicted() {
    try (BreakwaterRuntime runtime = runtime(Duration.ofMinutes(1))) {
      runtime.configure("open", runtime.config("open").toBuilder().forceOpen(false)
          .requestVolumeThreshold(1).build());
      runtime.execute("open", () -> {
        throw new IllegalStateException("down");
      }, Fallback.of("f"));
      assertThat(runtime.circuitState("open")).isEqualTo(io.breakwater.circuit.CircuitState.OPEN);
      for (int i = 0; i < 5; i++) {
        clock.advance(Duration.ofMinutes(1));
        runtime.evictIdle();
      }
      assertThat(runtime.circuitState("open")).isEqualTo(io.breakwater.circuit.CircuitState.OPEN);
    }
  }

  @Test
  void zeroKeepsEverything() {
    try (BreakwaterRuntime runtime = runtime(Duration.ZERO)) {
      runtime.execute("kept", () -> "x");
      clock.advance(Duration.ofDays(2));
      assertThat(runtime.evictIdle()).isZero();
      assertThat(runtime.snapshot().commands()).hasSize(1);
    }
  }
}
