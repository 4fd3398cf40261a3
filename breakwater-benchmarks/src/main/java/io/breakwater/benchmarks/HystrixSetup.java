package io.breakwater.benchmarks;

import com.netflix.hystrix.Hystrix;
import com.netflix.hystrix.HystrixCommand;
import com.netflix.hystrix.HystrixCommandGroupKey;
import com.netflix.hystrix.HystrixCommandKey;
import com.netflix.hystrix.HystrixCommandProperties;
import com.netflix.hystrix.HystrixCommandProperties.ExecutionIsolationStrategy;
import com.netflix.hystrix.HystrixThreadPoolKey;
import com.netflix.hystrix.HystrixThreadPoolProperties;
import java.util.concurrent.Callable;

/**
 * How Hystrix 1.5.18 is configured in each scenario. A Hystrix command runs once, so every call
 * constructs one {@link Call} and executes it: that is how Hystrix is used, and its cost is part
 * of what Hystrix costs. Its circuit breaker and its metrics streams (rolling counts, latency
 * percentiles, concurrency) are always on. Request caching and the request log are off: no
 * request context is set up, and Breakwater does neither in these scenarios.
 */
final class HystrixSetup {

  private static final HystrixCommandGroupKey GROUP =
      HystrixCommandGroupKey.Factory.asKey("benchmarks");

  private HystrixSetup() {}

  /** P1 and P5: semaphore isolation, timeout disabled. */
  static HystrixCommand.Setter successPath() {
    return setter("P1", base()
        .withExecutionIsolationStrategy(ExecutionIsolationStrategy.SEMAPHORE)
        .withExecutionTimeoutEnabled(false));
  }

  /** P1t: semaphore isolation with a 1 s timeout on Hystrix's timer. */
  static HystrixCommand.Setter successPathTimed() {
    return setter("P1t", base()
        .withExecutionIsolationStrategy(ExecutionIsolationStrategy.SEMAPHORE)
        .withExecutionTimeoutEnabled(true)
        .withExecutionTimeoutInMilliseconds(Scenarios.TIMEOUT_MILLIS));
  }

  /** P2: forced open; {@link Call#getFallback()} answers. */
  static HystrixCommand.Setter openCircuit() {
    return setter("P2", base()
        .withExecutionIsolationStrategy(ExecutionIsolationStrategy.SEMAPHORE)
        .withExecutionTimeoutEnabled(false)
        .withCircuitBreakerForceOpen(true));
  }

  /** P3 and P6: THREAD isolation on a pool of {@code threads}, no queue, 1 s timeout. */
  static HystrixCommand.Setter threadIsolated(String key, int threads) {
    return setter(key, base()
        .withExecutionIsolationStrategy(ExecutionIsolationStrategy.THREAD)
        .withExecutionTimeoutEnabled(true)
        .withExecutionTimeoutInMilliseconds(Scenarios.TIMEOUT_MILLIS))
        .andThreadPoolKey(HystrixThreadPoolKey.Factory.asKey(key))
        .andThreadPoolPropertiesDefaults(HystrixThreadPoolProperties.Setter()
            .withCoreSize(threads)
            .withMaximumSize(threads)
            .withMaxQueueSize(-1));
  }

  /** Stops Hystrix's timer and pools. */
  static void shutdown() {
    Hystrix.reset();
  }

  private static HystrixCommandProperties.Setter base() {
    return HystrixCommandProperties.Setter()
        .withExecutionIsolationSemaphoreMaxConcurrentRequests(Scenarios.SEMAPHORE_PERMITS)
        .withCircuitBreakerRequestVolumeThreshold(Scenarios.VOLUME_THRESHOLD)
        .withCircuitBreakerErrorThresholdPercentage(Scenarios.ERROR_PERCENT)
        .withCircuitBreakerSleepWindowInMilliseconds(Scenarios.SLEEP_WINDOW_MILLIS)
        .withRequestCacheEnabled(false)
        .withRequestLogEnabled(false);
  }

  private static HystrixCommand.Setter setter(String key, HystrixCommandProperties.Setter p) {
    return HystrixCommand.Setter.withGroupKey(GROUP)
        .andCommandKey(HystrixCommandKey.Factory.asKey(key))
        .andCommandPropertiesDefaults(p);
  }

  /** One execution of the dependency as a Hystrix command, with a constant fallback. */
  static final class Call extends HystrixCommand<String> {
    private final Callable<String> dependency;

    Call(HystrixCommand.Setter setter, Callable<String> dependency) {
      super(setter);
      this.dependency = dependency;
    }

    @Override
    protected String run() throws Exception {
      return dependency.call();
    }

    @Override
    protected String getFallback() {
      return Dependency.FALLBACK;
    }
  }
}
