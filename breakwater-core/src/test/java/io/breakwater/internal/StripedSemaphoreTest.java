package io.breakwater.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StripedSemaphoreTest {

  @Test
  void neverAdmitsMoreThanItsLimitUnderContention() throws Exception {
    StripedSemaphore semaphore = new StripedSemaphore(3);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger worst = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    int threads = 8;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        int stripe = Stripes.current();
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 20_000; i++) {
          if (semaphore.tryAcquire(stripe, 0)) {
            int now = inside.incrementAndGet();
            worst.accumulateAndGet(now, Math::max);
            admitted.incrementAndGet();
            inside.decrementAndGet();
            semaphore.release(stripe);
          }
        }
      });
      th.start();
      all.add(th);
    }
    go.countDown();
    for (Thread th : all) {
      th.join();
    }
    assertThat(worst.get()).isLessThanOrEqualTo(3);
    assertThat(admitted.get()).isPositive();
    assertThat(semaphore.inUse()).isZero();
  }

  @Test
  void oneStripeCanTakeEveryPermitAndGiveThemBack() {
    StripedSemaphore semaphore = new StripedSemaphore(10);
    for (int i = 0; i < 10; i++) {
      assertThat(semaphore.tryAcquire(0, 0)).as("permit %d", i).isTrue();
    }
    assertThat(semaphore.tryAcquire(1, 0)).isFalse();
    assertThat(semaphore.inUse()).isEqualTo(10);
    for (int i = 0; i < 10; i++) {
      semaphore.release(0);
    }
    assertThat(semaphore.inUse()).isZero();
    for (int i = 0; i < 10; i++) {
      assertThat(semaphore.tryAcquire(i % Stripes.COUNT, 0)).as("again %d", i).isTrue();
    }
    assertThat(semaphore.tryAcquire(3, 0)).isFalse();
  }

  @Test
  void loweringTheLimitTakesEffectForTheNextAcquire() {
    StripedSemaphore semaphore = new StripedSemaphore(10);
    assertThat(semaphore.tryAcquire(0, 0)).isTrue();
    semaphore.release(0); // stripe 0 now keeps free permits

    semaphore.setLimit(2);

    assertThat(semaphore.tryAcquire(0, 0)).isTrue();
    assertThat(semaphore.tryAcquire(1, 0)).isTrue();
    assertThat(semaphore.tryAcquire(2, 0)).isFalse();
    semaphore.release(0);
    semaphore.release(1);
    semaphore.setLimit(4);
    for (int i = 0; i < 4; i++) {
      assertThat(semaphore.tryAcquire(i, 0)).isTrue();
    }
    assertThat(semaphore.tryAcquire(5, 0)).isFalse();
  }

  @Test
  void loweringTheLimitBelowThePermitsInUsePaysThemBackOnRelease() {
    StripedSemaphore semaphore = new StripedSemaphore(3);
    assertThat(semaphore.tryAcquire(0, 0)).isTrue();
    assertThat(semaphore.tryAcquire(0, 0)).isTrue();
    assertThat(semaphore.tryAcquire(0, 0)).isTrue();

    semaphore.setLimit(1);
    semaphore.release(0);
    semaphore.release(0);
    assertThat(semaphore.tryAcquire(1, 0)).as("two still in use against a limit of 1").isFalse();
    semaphore.release(0);
    assertThat(semaphore.tryAcquire(1, 0)).isTrue();
    assertThat(semaphore.tryAcquire(2, 0)).isFalse();
  }

  @Test
  void peakIsTheHighestConcurrencyOfTheBucket() {
    StripedSemaphore semaphore = new StripedSemaphore(10);
    semaphore.tryAcquire(0, 7);
    semaphore.tryAcquire(0, 7);
    semaphore.tryAcquire(0, 7);
    semaphore.release(0);
    semaphore.release(0);
    assertThat(semaphore.peak(7)).isEqualTo(3);
    semaphore.tryAcquire(0, 8);
    assertThat(semaphore.peak(8)).isEqualTo(2);
    assertThat(semaphore.peak(7)).isEqualTo(3);
  }
}
