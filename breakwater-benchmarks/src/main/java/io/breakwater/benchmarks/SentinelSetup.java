package io.breakwater.benchmarks;

import com.alibaba.csp.sentinel.Entry;
import com.alibaba.csp.sentinel.SphU;
import com.alibaba.csp.sentinel.Tracer;
import com.alibaba.csp.sentinel.slots.block.BlockException;
import com.alibaba.csp.sentinel.slots.block.RuleConstant;
import com.alibaba.csp.sentinel.slots.block.degrade.DegradeRule;
import com.alibaba.csp.sentinel.slots.block.degrade.DegradeRuleManager;
import com.alibaba.csp.sentinel.slots.block.flow.FlowRule;
import com.alibaba.csp.sentinel.slots.block.flow.FlowRuleManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * How Sentinel 1.8.8 is configured. Each scenario is a resource with two rules: a flow rule of
 * grade THREAD (at most {@link Scenarios#SEMAPHORE_PERMITS} concurrent calls, the semaphore
 * bulkhead) and a degrade rule on the error ratio (the circuit breaker: 50 % over at least 20
 * calls in 10 s, open for 5 s). Sentinel's statistics slot keeps per-second and per-minute
 * sliding windows of passes, blocks, successes, errors and response time for every resource.
 * Sentinel has no timeout and no thread isolation, so it appears in P1, P2 and P5 only.
 */
final class SentinelSetup {

  /** Resources, one per scenario. */
  static final String SUCCESS_PATH = "P1";
  static final String OPEN_CIRCUIT = "P2";

  private static final List<FlowRule> FLOW = new ArrayList<>();
  private static final List<DegradeRule> DEGRADE = new ArrayList<>();

  static {
    // Sentinel writes its logs under ~/logs/csp and ~/logs/eagleeye unless told otherwise.
    String dir = System.getProperty("java.io.tmpdir") + "/breakwater-benchmarks-sentinel";
    for (String key : new String[] {"csp.sentinel.log.dir", "JM.LOG.PATH", "EAGLEEYE.LOG.PATH"}) {
      if (System.getProperty(key) == null) {
        System.setProperty(key, dir);
      }
    }
  }

  private SentinelSetup() {}

  /** P1 and P5: the resource's rules; calls then go through {@link #call}. */
  static synchronized void successPath() {
    addRules(SUCCESS_PATH, Scenarios.SLEEP_WINDOW_MILLIS / 1000);
  }

  /**
   * P2: Sentinel cannot force a breaker open, so this trips it for real: a degrade rule on the
   * error count (more than one error over one second opens it for an hour), then failing calls
   * until an entry is refused. {@link #call} then answers the fallback for every call.
   */
  static synchronized void openCircuit() {
    FLOW.add(threadLimit(OPEN_CIRCUIT));
    DEGRADE.add(new DegradeRule(OPEN_CIRCUIT)
        .setGrade(RuleConstant.DEGRADE_GRADE_EXCEPTION_COUNT)
        .setCount(1)
        .setMinRequestAmount(1)
        .setStatIntervalMs(1000)
        .setTimeWindow(Scenarios.OPEN_FOR_SECONDS));
    load();
    RuntimeException failure = new IllegalStateException("failing on purpose");
    for (int i = 0; i < 1000; i++) {
      Entry entry;
      try {
        entry = SphU.entry(OPEN_CIRCUIT);
      } catch (BlockException refused) {
        return;
      }
      Tracer.traceEntry(failure, entry);
      entry.exit();
    }
    throw new IllegalStateException("Sentinel's breaker for " + OPEN_CIRCUIT + " did not open");
  }

  /**
   * One protected call: an entry (refused with a {@link BlockException} by the breaker or the
   * thread limit, which the fallback answers), the call, errors traced for the breaker, exit.
   */
  static String call(String resource, Callable<String> dependency) throws Exception {
    Entry entry;
    try {
      entry = SphU.entry(resource);
    } catch (BlockException refused) {
      return Dependency.FALLBACK;
    }
    try {
      return dependency.call();
    } catch (Exception e) {
      Tracer.traceEntry(e, entry);
      throw e;
    } finally {
      entry.exit();
    }
  }

  private static void addRules(String resource, int openSeconds) {
    FLOW.add(threadLimit(resource));
    DEGRADE.add(new DegradeRule(resource)
        .setGrade(RuleConstant.DEGRADE_GRADE_EXCEPTION_RATIO)
        .setCount(Scenarios.ERROR_PERCENT / 100.0)
        .setMinRequestAmount(Scenarios.VOLUME_THRESHOLD)
        .setStatIntervalMs(10_000)
        .setTimeWindow(openSeconds));
    load();
  }

  private static FlowRule threadLimit(String resource) {
    FlowRule rule = new FlowRule(resource);
    rule.setGrade(RuleConstant.FLOW_GRADE_THREAD);
    rule.setCount(Scenarios.SEMAPHORE_PERMITS);
    return rule;
  }

  private static void load() {
    FlowRuleManager.loadRules(new ArrayList<>(FLOW));
    DegradeRuleManager.loadRules(new ArrayList<>(DEGRADE));
  }
}
