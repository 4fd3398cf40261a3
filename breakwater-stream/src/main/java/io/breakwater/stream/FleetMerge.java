package io.breakwater.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Merges the latest message of one command, thread pool or collapser from several instances
 * into one, the way Turbine did, so that the Hystrix Dashboard's arithmetic (which divides some
 * figures by {@code reportingHosts}) gives the right answers:
 *
 * <ul>
 *   <li>Numbers are summed: counts, concurrency, {@code reportingHosts} (each instance says 1),
 *       and also {@code errorPercentage}, the latency means and every latency or batch-size
 *       percentile. Like Turbine, a fleet's percentile is therefore reported as the sum over
 *       hosts and read as {@code sum / reportingHosts}: the unweighted mean of the hosts'
 *       percentiles, not a percentile of the merged distribution (the stream does not carry
 *       the distributions). Breakwater's page computes the fleet error percentage from the
 *       summed {@code errorCount} and {@code requestCount} instead, which is exact.
 *   <li>{@code currentTime} is the newest of the hosts'.
 *   <li>Settings ({@code propertyValue_*} numbers) are the hosts' common value, or the largest
 *       when they differ, because the dashboard reads them undivided. The one exception is the
 *       thread pool's statistics window, which the dashboard divides by {@code reportingHosts}
 *       and which is therefore summed.
 *   <li>Strings and booleans (including {@code isCircuitBreakerOpen}) are the common value when
 *       every host agrees; otherwise a Turbine-style tally such as {@code {false:2,true:1}},
 *       which the dashboard shows as a mixed state.
 *   <li>{@code circuitOpenHosts} (Breakwater's own) counts the hosts whose circuit is open.
 * </ul>
 */
final class FleetMerge {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private FleetMerge() {}

  /** Merges one entity's messages, one per host; the first message gives the key order. */
  static ObjectNode merge(List<ObjectNode> hosts) {
    ObjectNode first = hosts.get(0);
    String type = first.path("type").asText();
    ObjectNode out = NODES.objectNode();
    Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
    for (ObjectNode host : hosts) {
      for (Iterator<Map.Entry<String, JsonNode>> it = host.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        byKey.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
      }
    }
    for (Map.Entry<String, List<JsonNode>> e : byKey.entrySet()) {
      out.set(e.getKey(), mergeField(type, e.getKey(), e.getValue()));
    }
    out.put("reportingHosts", hosts.size());
    if (HystrixMessages.COMMAND.equals(type)) {
      int open = 0;
      for (ObjectNode host : hosts) {
        open += host.path("isCircuitBreakerOpen").asBoolean(false) ? 1 : 0;
      }
      out.put("circuitOpenHosts", open);
    }
    return out;
  }

  private static JsonNode mergeField(String type, String key, List<JsonNode> values) {
    if (key.equals("currentTime")) {
      long max = 0;
      for (JsonNode v : values) {
        max = Math.max(max, v.asLong());
      }
      return NODES.numberNode(max);
    }
    if (allNumbers(values)) {
      boolean setting = key.startsWith("propertyValue_");
      boolean dividedByHosts = HystrixMessages.THREAD_POOL.equals(type)
          && key.equals("propertyValue_metricsRollingStatisticalWindowInMilliseconds");
      if (setting && !dividedByHosts) {
        long max = Long.MIN_VALUE;
        for (JsonNode v : values) {
          max = Math.max(max, v.asLong());
        }
        return NODES.numberNode(max);
      }
      long sum = 0;
      for (JsonNode v : values) {
        sum += v.asLong();
      }
      return NODES.numberNode(sum);
    }
    if (allObjects(values)) {
      ObjectNode sum = NODES.objectNode();
      for (JsonNode v : values) {
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          sum.put(e.getKey(), sum.path(e.getKey()).asLong(0) + e.getValue().asLong());
        }
      }
      return sum;
    }
    return agreedOrTally(values);
  }

  private static JsonNode agreedOrTally(List<JsonNode> values) {
    JsonNode first = values.get(0);
    boolean agreed = true;
    for (JsonNode v : values) {
      agreed &= v.equals(first);
    }
    if (agreed) {
      return first;
    }
    Map<String, Integer> tally = new TreeMap<>();
    for (JsonNode v : values) {
      tally.merge(v.isNull() ? "null" : v.asText(), 1, Integer::sum);
    }
    StringBuilder s = new StringBuilder("{");
    for (Map.Entry<String, Integer> e : tally.entrySet()) {
      if (s.length() > 1) {
        s.append(',');
      }
      s.append(e.getKey()).append(':').append(e.getValue());
    }
    return NODES.textNode(s.append('}').toString());
  }

  private static boolean allNumbers(List<JsonNode> values) {
    for (JsonNode v : values) {
      if (!v.isNumber()) {
        return false;
      }
    }
    return true;
  }

  private static boolean allObjects(List<JsonNode> values) {
    for (JsonNode v : values) {
      if (!v.isObject()) {
        return false;
      }
    }
    return true;
  }
}
