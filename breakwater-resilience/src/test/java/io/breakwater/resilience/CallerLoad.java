package io.breakwater.resilience;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A fixed number of calls from a fixed number of caller threads, back to back: each call's
 * latency and what it was answered with (a label from the answer, or {@code error:…} for what
 * it threw). The callers are plain threads named {@code caller-N}, so that thread counts can
 * tell them from Breakwater's.
 */
final class CallerLoad {

  /** What a finished load saw. */
  static final class Result {
    final Latencies latencies;
    final Map<String, Long> outcomes;
    final Map<String, Latencies> byOutcome;
    final long wallMillis;
    final boolean finished;
    /** The slowest calls: "latency ms @ start offset ms (outcome)". */
    final List<String> slowest;

    Result(Latencies latencies, Map<String, Long> outcomes, Map<String, Latencies> byOutcome,
        long wallMillis, boolean finished, List<String> slowest) {
      this.slowest = slowest;
      this.latencies = latencies;
      this.outcomes = outcomes;
      this.byOutcome = byOutcome;
      this.wallMillis = wallMillis;
      this.finished = finished;
    }

    long answered() {
      return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    long count(String outcome) {
      return outcomes.getOrDefault(outcome, 0L);
    }
  }

  private CallerLoad() {}

  /**
   * Runs {@code calls} calls of {@code call} from {@code threads} threads; {@code label} names
   * an answer. Waits at most {@code maxSeconds} for the callers to finish.
   */
  static <T> Result run(int threads, int calls, Callable<T> call, Function<T, String> label,
      long maxSeconds) throws InterruptedException {
    List<Latencies> parts = new ArrayList<>();
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    Map<String, List<Latencies>> byOutcome = new ConcurrentHashMap<>();
    List<Thread> callers = new ArrayList<>();
    List<long[]> slow = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<Long, String> slowLabels = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      Latencies mine = new Latencies();
      parts.add(mine);
      int share = calls / threads + (t < calls % threads ? 1 : 0);
      Map<String, Latencies> mineByOutcome = new TreeMap<>();
      Thread caller = new Thread(() -> {
        for (int i = 0; i < share; i++) {
          long begin = System.nanoTime();
          String outcome;
          try {
            outcome = label.apply(call.call());
          } catch (StatusRuntimeException e) {
            outcome = "error:" + e.getStatus().getCode();
          } catch (Exception e) {
            outcome = "error:" + e.getClass().getSimpleName();
          }
          long took = System.nanoTime() - begin;
          mine.record(took);
          slow.add(new long[] {took, begin - start});
          slowLabels.put(begin, outcome);
          if (slow.size() > 10) {
            synchronized (slow) {
              slow.sort((a, b) -> Long.compare(b[0], a[0]));
              while (slow.size() > 10) {
                long[] dropped = slow.remove(slow.size() - 1);
                slowLabels.remove(dropped[1] + start);
              }
            }
          }
          mineByOutcome.computeIfAbsent(outcome, k -> new Latencies()).record(took);
          outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
        }
        mineByOutcome.forEach((k, v) ->
            byOutcome.computeIfAbsent(k, x -> new java.util.concurrent.CopyOnWriteArrayList<>())
                .add(v));
      }, "caller-" + t);
      caller.setDaemon(true);
      callers.add(caller);
    }
    callers.forEach(Thread::start);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
    boolean finished = true;
    for (Thread caller : callers) {
      caller.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      finished &= !caller.isAlive();
    }
    long wall = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    Map<String, Long> counts = new TreeMap<>();
    outcomes.forEach((k, v) -> counts.put(k, v.get()));
    Map<String, Latencies> merged = new TreeMap<>();
    byOutcome.forEach((k, v) -> merged.put(k, Latencies.merge(v)));
    List<String> slowest = new ArrayList<>();
    synchronized (slow) {
      slow.sort((a, b) -> Long.compare(b[0], a[0]));
      for (long[] s : slow.subList(0, Math.min(5, slow.size()))) {
        slowest.add(String.format(java.util.Locale.ROOT, "%.1f ms @%d ms (%s)", s[0] / 1e6,
            s[1] / 1_000_000, slowLabels.get(s[1] + start)));
      }
    }
    return new Result(Latencies.merge(parts), counts, merged, wall, finished, slowest);
  }
}
