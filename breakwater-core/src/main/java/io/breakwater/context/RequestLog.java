package io.breakwater.context;

import io.breakwater.event.EventType;
import io.breakwater.event.ExecutionRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What ran in one request, in the order the answers came, at most {@value #MAX_ENTRIES}
 * executions (more are counted but not kept, so a runaway loop cannot exhaust memory).
 */
public final class RequestLog {

  /** The most executions one request keeps, as Hystrix's request log. */
  public static final int MAX_ENTRIES = 1000;

  // Guards entries and dropped; held only to add or copy, never while calling out.
  private final Object lock = new Object();
  private final List<ExecutionRecord> entries = new ArrayList<>();
  private long dropped;

  RequestLog() {}

  /** Adds an execution; beyond the cap it is only counted. */
  public void add(ExecutionRecord record) {
    synchronized (lock) {
      if (entries.size() < MAX_ENTRIES) {
        entries.add(record);
      } else {
        dropped++;
      }
    }
  }

  /** The executions kept, oldest first. */
  public List<ExecutionRecord> executions() {
    synchronized (lock) {
      return List.copyOf(entries);
    }
  }

  /** Executions beyond the cap, counted but not kept. */
  public long dropped() {
    synchronized (lock) {
      return dropped;
    }
  }

  /**
   * One line for the request, e.g. {@code GetUser[SUCCESS][3ms],
   * GetOrders[FAILURE, FALLBACK_SUCCESS][12ms]x2}: each command with its events (terminal one
   * last) and total time, equal neighbours folded with a count.
   */
  public String summary() {
    List<ExecutionRecord> all = executions();
    Map<String, Integer> folded = new LinkedHashMap<>();
    for (ExecutionRecord r : all) {
      List<EventType> events = new ArrayList<>(r.events());
      events.sort((a, b) -> Boolean.compare(a.isTerminal(), b.isTerminal()));
      String line = r.commandName() + events.stream().map(Enum::name)
          .collect(Collectors.joining(", ", "[", "]"))
          + "[" + Math.max(0, r.totalNanos() / 1_000_000) + "ms]";
      folded.merge(line, 1, Integer::sum);
    }
    return folded.entrySet().stream()
        .map(e -> e.getValue() == 1 ? e.getKey() : e.getKey() + "x" + e.getValue())
        .collect(Collectors.joining(", "));
  }
}
