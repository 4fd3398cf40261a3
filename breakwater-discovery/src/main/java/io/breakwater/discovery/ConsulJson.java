package io.breakwater.discovery;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.breakwater.discovery.ConsulProblem.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads Consul's answers into our types, trusting nothing: every field is checked for its type,
 * unknown fields are ignored, {@code null} stands for an empty list or map where Consul may send
 * it, and anything else that does not fit is a {@link ConsulProblem} rather than an exception
 * that could reach a caller. Parsing is done on Jackson's tree model so that a wrong type is a
 * precise message ("Service.Port of entry 3 is a string") and not a mapping failure.
 */
final class ConsulJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ConsulJson() {}

  static JsonNode tree(byte[] body) throws ConsulProblem {
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || root.isMissingNode()) {
        throw new ConsulProblem(Kind.MALFORMED_JSON, "empty body");
      }
      return root;
    } catch (JacksonException e) {
      throw new ConsulProblem(Kind.MALFORMED_JSON, e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConsulProblem(Kind.MALFORMED_JSON, e.toString(), e);
    }
  }

  /**
   * The healthy instances in a {@code /v1/health/service/:service} answer (reference §1.4). An
   * entry with any check not {@code passing} is left out even though the query asked for
   * {@code ?passing}, in case a proxy or an old server ignored it; entries of another service are
   * left out as well. An empty service address falls back to the node's.
   */
  static List<ServiceInstance> health(byte[] body, String service) throws ConsulProblem {
    JsonNode root = tree(body);
    requireArray(root, "the answer");
    List<ServiceInstance> result = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode entry = root.get(i);
      String where = "entry " + i;
      requireObject(entry, where);
      JsonNode svc = entry.get("Service");
      requireObject(svc, "Service of " + where);
      if (!allPassing(entry.get("Checks"), where)) {
        continue;
      }
      String inService = "Service of " + where;
      String name = text(svc, "Service", inService, true);
      if (!name.equals(service)) {
        continue;
      }
      String address = text(svc, "Address", inService, false);
      if (address.isEmpty()) {
        JsonNode node = entry.get("Node");
        if (node != null && !node.isNull()) {
          requireObject(node, "Node of " + where);
          address = text(node, "Address", "Node of " + where, false);
        }
      }
      result.add(instance(text(svc, "ID", inService, true), name, address,
          svc.get("Port"), svc.get("Tags"), svc.get("Meta"), inService));
    }
    return List.copyOf(result);
  }

  /**
   * Every registered instance, healthy or not, in a {@code /v1/catalog/service/:service} answer
   * (reference §1.5). An empty {@code ServiceAddress} falls back to the node's {@code Address}.
   */
  static List<ServiceInstance> catalogService(byte[] body) throws ConsulProblem {
    JsonNode root = tree(body);
    requireArray(root, "the answer");
    List<ServiceInstance> result = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode entry = root.get(i);
      String where = "entry " + i;
      requireObject(entry, where);
      String address = text(entry, "ServiceAddress", where, false);
      if (address.isEmpty()) {
        address = text(entry, "Address", where, false);
      }
      result.add(instance(text(entry, "ServiceID", where, true),
          text(entry, "ServiceName", where, true), address, entry.get("ServicePort"),
          entry.get("ServiceTags"), entry.get("ServiceMeta"), where));
    }
    return List.copyOf(result);
  }

  /** Service names and their tags in a {@code /v1/catalog/services} answer (reference §1.6). */
  static Map<String, List<String>> catalogServices(byte[] body) throws ConsulProblem {
    JsonNode root = tree(body);
    requireObject(root, "the answer");
    Map<String, List<String>> result = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      result.put(field.getKey(), strings(field.getValue(), "tags of " + field.getKey()));
    }
    return result;
  }

  /** The leader's address in a {@code /v1/status/leader} answer; empty when there is none. */
  static String leader(byte[] body) throws ConsulProblem {
    JsonNode root = tree(body);
    if (!root.isTextual()) {
      throw shape("the answer", "a string", root);
    }
    return root.asText();
  }

  /** The servers in a {@code /v1/status/peers} answer. */
  static List<String> peers(byte[] body) throws ConsulProblem {
    return strings(tree(body), "the answer");
  }

  /** {@code Config.NodeName} of a {@code /v1/agent/self} answer. */
  static String nodeName(byte[] body) throws ConsulProblem {
    JsonNode root = tree(body);
    requireObject(root, "the answer");
    JsonNode config = root.get("Config");
    requireObject(config, "Config");
    return text(config, "NodeName", "Config", true);
  }

  private static boolean allPassing(JsonNode checks, String where) throws ConsulProblem {
    if (checks == null || checks.isNull()) {
      return true;
    }
    requireArray(checks, "Checks of " + where);
    for (JsonNode check : checks) {
      requireObject(check, "a check of " + where);
      if (!text(check, "Status", where, true).equals("passing")) {
        return false;
      }
    }
    return true;
  }

  private static ServiceInstance instance(String id, String service, String address,
      JsonNode port, JsonNode tags, JsonNode meta, String where) throws ConsulProblem {
    if (port == null || !port.isIntegralNumber()) {
      throw shape("Port of " + where, "an integer", port);
    }
    if (!port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 65_535) {
      throw new ConsulProblem(Kind.INVALID_INSTANCE,
          "instance '" + id + "' has port " + port.asText() + ", outside 1 to 65535");
    }
    if (address.isBlank()) {
      throw new ConsulProblem(Kind.INVALID_INSTANCE,
          "instance '" + id + "' has no address, neither its own nor its node's");
    }
    if (id.isBlank() || service.isBlank()) {
      throw new ConsulProblem(Kind.INVALID_INSTANCE, where + " has a blank ID or service name");
    }
    return new ServiceInstance(id, service, address, port.asInt(),
        strings(tags, "Tags of " + where), stringMap(meta, "Meta of " + where));
  }

  private static String text(JsonNode object, String field, String where, boolean required)
      throws ConsulProblem {
    JsonNode value = object.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        throw new ConsulProblem(Kind.UNEXPECTED_SHAPE, field + " of " + where + " is missing");
      }
      return "";
    }
    if (!value.isTextual()) {
      throw shape(field + " of " + where, "a string", value);
    }
    return value.asText();
  }

  private static List<String> strings(JsonNode array, String what) throws ConsulProblem {
    if (array == null || array.isNull()) {
      return List.of();
    }
    requireArray(array, what);
    List<String> result = new ArrayList<>(array.size());
    for (JsonNode item : array) {
      if (!item.isTextual()) {
        throw shape("an item of " + what, "a string", item);
      }
      result.add(item.asText());
    }
    return result;
  }

  private static Map<String, String> stringMap(JsonNode object, String what)
      throws ConsulProblem {
    if (object == null || object.isNull()) {
      return Map.of();
    }
    requireObject(object, what);
    Map<String, String> result = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!field.getValue().isTextual()) {
        throw shape("value '" + field.getKey() + "' of " + what, "a string", field.getValue());
      }
      result.put(field.getKey(), field.getValue().asText());
    }
    return result;
  }

  private static void requireArray(JsonNode node, String what) throws ConsulProblem {
    if (node == null || !node.isArray()) {
      throw shape(what, "an array", node);
    }
  }

  private static void requireObject(JsonNode node, String what) throws ConsulProblem {
    if (node == null || !node.isObject()) {
      throw shape(what, "an object", node);
    }
  }

  private static ConsulProblem shape(String what, String expected, JsonNode actual) {
    String found = actual == null ? "missing" : actual.getNodeType().toString().toLowerCase(
        java.util.Locale.ROOT);
    return new ConsulProblem(Kind.UNEXPECTED_SHAPE, what + " should be " + expected + ", was "
        + found);
  }
}
