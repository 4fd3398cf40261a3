package io.breakwater.resilience;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Counting and naming the JVM's live threads, and waiting for them to go. */
final class ThreadCensus {

  private ThreadCensus() {}

  static List<Thread> live(Predicate<Thread> which) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(which)
        .collect(Collectors.toList());
  }

  static int count() {
    return live(t -> true).size();
  }

  /** Threads started by Breakwater, gRPC (and its Netty) or the fault proxy. */
  static boolean ours(Thread t) {
    String n = t.getName();
    return n.startsWith("breakwater-") || n.startsWith("grpc-") || n.startsWith("fault-proxy-");
  }

  static List<String> names(Predicate<Thread> which) {
    return live(which).stream().map(Thread::getName).sorted().collect(Collectors.toList());
  }

  /** Threads whose stack holds a frame of {@code className} (and {@code method}, if given). */
  static List<Thread> runningIn(String className, String method) {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey() != Thread.currentThread())
        .filter(e -> {
          for (StackTraceElement f : e.getValue()) {
            if (f.getClassName().startsWith(className)
                && (method == null || f.getMethodName().contains(method))) {
              return true;
            }
          }
          return false;
        })
        .map(Map.Entry::getKey)
        .collect(Collectors.toList());
  }

  /**
   * Waits up to {@code atMost} for the live thread count to come down to {@code limit}, and
   * returns the count at the end.
   */
  static int awaitAtMost(int limit, Duration atMost) throws InterruptedException {
    long deadline = System.nanoTime() + atMost.toNanos();
    int now = count();
    while (now > limit && System.nanoTime() < deadline) {
      Thread.sleep(50);
      now = count();
    }
    return now;
  }
}
