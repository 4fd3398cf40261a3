package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.breakwater.circuit.CircuitState;
import io.breakwater.circuit.CircuitTransition;
import io.breakwater.event.CommandListener;
import io.breakwater.event.EventType;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The circuit breaker's state machine, driven on a fake clock without sleeping. */
class CircuitBreakerTest {

  private static final String NAME = "breaker";

  private final FakeClock clock = new FakeClock();
  private final AtomicInteger calls = new AtomicInteger();
  private final List<CircuitTransition> transitions = new CopyOnWriteArrayList<>();
  private BreakwaterRuntime runtime;

  @BeforeEach
  void setUp() {
    runtime = BreakwaterRuntime.builder().clock(clock).build();
    runtime.configure(NAME, CommandConfig.builder()
        .isolation(Isolation.SEMAPHORE)
        .timeoutEnabled(false)
        .requestVolumeThreshold(10)
        .errorThresholdPercentage(50)
        .sleepWindowMillis(5000)
        .build());
    runtime.addListener(new CommandListener() {
      @Override
      public void onCircuitTransition(CircuitTransition t) {
        transitions.add(t);
      }
    });
  }

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  private String fail() {
    calls.incrementAndGet();
    return runtime.execute(NAME, () -> {
      throw new IllegalStateException("down");
    }, (kind, cause) -> "fallback:" + kind);
  }

  private String succeed() {
    calls.incrementAndGet();
    return runtime.execute(NAME, () -> "ok", (kind, cause) -> "fallback:" + kind);
  }

  private int reached() {
    return (int) runtime.snapshot(NAME).cumulativeCount(EventType.SUCCESS)
        + (int) runtime.snapshot(NAME).cumulativeCount(EventType.FAILURE);
  }

  @Test
  void opensOnTheRequestThatCrossesTheThresholdAtTheVolumeThreshold() {
    for (int i = 0; i < 5; i++) {
      succeed();
    }
    for (int i = 0; i < 4; i++) {
      fail();
    }
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);

    fail(); // the 10th request: volume 10, errors 5 = 50 %

    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.OPEN);
    assertThat(transitions).hasSize(1);
    CircuitTransition t = transitions.get(0);
    assertThat(t.from()).isEqualTo(CircuitState.CLOSED);
    assertThat(t.to()).isEqualTo(CircuitState.OPEN);
    assertThat(t.health().total()).isEqualTo(10);
    assertThat(t.health().errors()).isEqualTo(5);
    assertThat(t.health().errorPercentage()).isEqualTo(50);
  }

  @Test
  void staysClosedBelowTheVolumeThresholdWhateverTheErrors() {
    for (int i = 0; i < 9; i++) {
      fail();
    }
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
    assertThat(runtime.snapshot(NAME).health().errorPercentage()).isEqualTo(100);
  }

  @Test
  void staysClosedBelowTheErrorThreshold() {
    for (int i = 0; i < 11; i++) {
      succeed();
    }
    for (int i = 0; i < 10; i++) {
      fail(); // at most 10 of 21 = 47 %
    }
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
  }

  @Test
  void shortCircuitsWhileOpenWithoutRunningAndWithoutAnException() {
    openCircuit();
    int reachedBefore = reached();

    AtomicInteger ran = new AtomicInteger();
    String answer = runtime.execute(NAME, () -> {
      ran.incrementAndGet();
      return "ok";
    }, (kind, cause) -> kind + "/" + cause);

    assertThat(answer).isEqualTo("SHORT_CIRCUITED/null");
    assertThat(ran).hasValue(0);
    assertThat(reached()).isEqualTo(reachedBefore);
    assertThat(runtime.snapshot(NAME).rollingCount(EventType.SHORT_CIRCUITED)).isEqualTo(1);
    assertThat(runtime.snapshot(NAME).rollingCount(EventType.FALLBACK_SUCCESS)).isEqualTo(11);
  }

  @Test
  void callsThatNeverRanHaveNoLatencyAsInHystrix() {
    openCircuit(); // ten failures that ran
    for (int i = 0; i < 5; i++) {
      succeed(); // short-circuited
    }
    assertThat(runtime.snapshot(NAME).rollingCount(EventType.SHORT_CIRCUITED)).isEqualTo(5);
    assertThat(runtime.snapshot(NAME).totalLatency().count()).isEqualTo(10);
    assertThat(runtime.snapshot(NAME).executionLatency().count()).isEqualTo(10);
  }

  @Test
  void shortCircuitWithoutFallbackThrowsCommandExceptionOfThatKind() {
    openCircuit();
    assertThatThrownBy(() -> runtime.execute(NAME, () -> "ok"))
        .isInstanceOf(CommandException.class)
        .hasMessage("breaker short-circuited and no fallback available.")
        .satisfies(e -> assertThat(((CommandException) e).kind())
            .isEqualTo(FailureKind.SHORT_CIRCUITED));
  }

  @Test
  void letsExactlyOneTrialThroughAfterTheSleepWindow() {
    openCircuit();
    clock.advanceMillis(4999);
    assertThat(succeed()).isEqualTo("fallback:SHORT_CIRCUITED");

    clock.advanceMillis(1);
    // The trial runs on this thread; while it is out every other call is refused.
    String[] during = new String[1];
    String trial = runtime.execute(NAME, () -> {
      assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.HALF_OPEN);
      during[0] = succeed();
      return "trial";
    }, (kind, cause) -> "fallback");

    assertThat(trial).isEqualTo("trial");
    assertThat(during[0]).isEqualTo("fallback:SHORT_CIRCUITED");
  }

  @Test
  void closesWhenTheTrialSucceedsAndStartsHealthFromZero() {
    openCircuit();
    clock.advanceMillis(5000);

    assertThat(succeed()).isEqualTo("ok");

    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
    assertThat(runtime.snapshot(NAME).health().total()).isZero();
    assertThat(succeed()).isEqualTo("ok");
    assertThat(transitions).extracting(CircuitTransition::to).containsExactly(
        CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED);
  }

  @Test
  void reopensForANewSleepWindowWhenTheTrialFails() {
    openCircuit();
    clock.advanceMillis(5000);

    assertThat(fail()).isEqualTo("fallback:FAILED");

    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.OPEN);
    clock.advanceMillis(4999);
    assertThat(succeed()).isEqualTo("fallback:SHORT_CIRCUITED");
    clock.advanceMillis(1);
    assertThat(succeed()).isEqualTo("ok");
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
  }

  @Test
  void forgetsErrorsThatLeftTheRollingWindow() {
    for (int i = 0; i < 9; i++) {
      fail();
    }
    clock.advanceMillis(10_000);
    fail();
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
    assertThat(runtime.snapshot(NAME).health().total()).isEqualTo(1);
  }

  @Test
  void forcedOpenRefusesEverythingAndForcedClosedLetsEverythingThrough() {
    runtime.configure(NAME, runtime.config(NAME).toBuilder().forceOpen(true).build());
    assertThat(succeed()).isEqualTo("fallback:SHORT_CIRCUITED");

    runtime.configure(NAME, runtime.config(NAME).toBuilder()
        .forceOpen(false).forceClosed(true).build());
    for (int i = 0; i < 30; i++) {
      fail();
    }
    assertThat(succeed()).isEqualTo("ok");
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
  }

  @Test
  void aDisabledBreakerLetsEverythingThroughEvenForcedOpen() {
    // As Hystrix, whose disabled breaker is a no-op that ignores forceOpen.
    runtime.configure(NAME, runtime.config(NAME).toBuilder().circuitBreakerEnabled(false)
        .forceOpen(true).build());
    assertThat(succeed()).isEqualTo("ok");
    assertThat(runtime.snapshot(NAME).circuitOpen()).isFalse();
  }

  @Test
  void badRequestsCountNeitherAsErrorsNorInTheTotal() {
    for (int i = 0; i < 30; i++) {
      assertThatThrownBy(() -> runtime.execute(NAME, () -> {
        throw new BadRequestException("no such user");
      }, (kind, cause) -> "fallback")).isInstanceOf(BadRequestException.class)
          .hasMessage("no such user");
    }
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
    assertThat(runtime.snapshot(NAME).health().total()).isZero();
    assertThat(runtime.snapshot(NAME).rollingCount(EventType.BAD_REQUEST)).isEqualTo(30);
    assertThat(runtime.snapshot(NAME).rollingCount(EventType.FALLBACK_SUCCESS)).isZero();
  }

  @Test
  void concurrentCallersAfterTheSleepWindowAdmitExactlyOneTrial() throws Exception {
    openCircuit();
    clock.advanceMillis(5000);
    int threads = 8;
    java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(threads);
    java.util.concurrent.CountDownLatch othersDone =
        new java.util.concurrent.CountDownLatch(threads - 1);
    AtomicInteger trials = new AtomicInteger();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < threads; i++) {
        answers.add(pool.submit(() -> {
          together.await();
          String a = runtime.execute(NAME, () -> {
            trials.incrementAndGet();
            // Hold the trial until every other caller has had its answer.
            othersDone.await(5, java.util.concurrent.TimeUnit.SECONDS);
            return "trial";
          }, (kind, cause) -> "refused");
          if (a.equals("refused")) {
            othersDone.countDown();
          }
          return a;
        }));
      }
      int refused = 0;
      for (java.util.concurrent.Future<String> f : answers) {
        if (f.get(10, java.util.concurrent.TimeUnit.SECONDS).equals("refused")) {
          refused++;
        }
      }
      assertThat(trials).hasValue(1);
      assertThat(refused).isEqualTo(threads - 1);
      assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTrialThatNeverReportsBackCannotWedgeTheBreaker() throws Exception {
    openCircuit();
    clock.advanceMillis(5000);
    java.util.concurrent.CountDownLatch trialRunning = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread stuck = new Thread(() -> runtime.execute(NAME, () -> {
      trialRunning.countDown();
      release.await();
      return "stuck";
    }, (kind, cause) -> "fallback"));
    stuck.start();
    assertThat(trialRunning.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(succeed()).isEqualTo("fallback:SHORT_CIRCUITED");

    clock.advanceMillis(5000); // no timeout configured: a sleep window later, a new trial
    assertThat(succeed()).isEqualTo("ok");
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);

    release.countDown(); // the stale trial's late success changes nothing
    stuck.join(5000);
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.CLOSED);
  }

  private void openCircuit() {
    for (int i = 0; i < 10; i++) {
      fail();
    }
    assertThat(runtime.circuitState(NAME)).isEqualTo(CircuitState.OPEN);
  }
}
