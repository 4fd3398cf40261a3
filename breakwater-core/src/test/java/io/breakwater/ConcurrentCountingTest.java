package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.event.EventType;
import io.breakwater.metrics.CommandSnapshot;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Two threads, 100k calls each, random outcomes: every count adds up exactly. */
class ConcurrentCountingTest {

  @Test
  void countersAndHealthAddUpExactly() throws Exception {
    FakeClock clock = new FakeClock();
    try (BreakwaterRuntime runtime = BreakwaterRuntime.builder().clock(clock).build()) {
      runtime.configure("counted", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
          .timeoutEnabled(false).forceClosed(true).maxConcurrentRequests(2).build());
      AtomicLong successes = new AtomicLong();
      AtomicLong failures = new AtomicLong();
      AtomicLong badRequests = new AtomicLong();
      CountDownLatch go = new CountDownLatch(1);
      Runnable caller = () -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 100_000; i++) {
          int outcome = random.nextInt(3);
          try {
            String answer = runtime.execute("counted", () -> {
              if (outcome == 1) {
                throw new IllegalStateException("failure");
              }
              if (outcome == 2) {
                throw new BadRequestException("bad");
              }
              return "ok";
            }, Fallback.of("fallback"));
            (answer.equals("ok") ? successes : failures).incrementAndGet();
          } catch (BadRequestException e) {
            badRequests.incrementAndGet();
          }
        }
      };
      Thread a = new Thread(caller);
      Thread b = new Thread(caller);
      a.start();
      b.start();
      go.countDown();
      a.join();
      b.join();

      CommandSnapshot s = runtime.snapshot("counted");
      assertThat(successes.get() + failures.get() + badRequests.get()).isEqualTo(200_000);
      assertThat(s.cumulativeCount(EventType.SUCCESS)).isEqualTo(successes.get());
      assertThat(s.cumulativeCount(EventType.FAILURE)).isEqualTo(failures.get());
      assertThat(s.cumulativeCount(EventType.FALLBACK_SUCCESS)).isEqualTo(failures.get());
      assertThat(s.cumulativeCount(EventType.BAD_REQUEST)).isEqualTo(badRequests.get());
      assertThat(s.cumulativeCount(EventType.EXCEPTION_THROWN)).isEqualTo(badRequests.get());
      assertThat(s.cumulativeCount(EventType.SEMAPHORE_REJECTED)).isZero();
      assertThat(s.rollingCount(EventType.SUCCESS)).isEqualTo(successes.get());
      assertThat(s.rollingCount(EventType.FAILURE)).isEqualTo(failures.get());
      assertThat(s.health().total()).isEqualTo(successes.get() + failures.get());
      assertThat(s.health().errors()).isEqualTo(failures.get());
      assertThat(s.currentConcurrency()).isZero();
      assertThat(s.rollingMaxConcurrency()).isBetween(1L, 2L);
      assertThat(s.executionLatency().count()).isEqualTo(200_000);
      assertThat(s.executionTotals().count()).isEqualTo(200_000);
      assertThat(s.totalTotals().count()).isEqualTo(200_000);
    }
  }
}
