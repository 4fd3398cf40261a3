package io.breakwater.discovery;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One running copy of a service, as a registry knows it: where to reach it and what it says
 * about itself.
 *
 * @param id unique among all instances in the registry, for example {@code example.service-1}
 * @param service the logical name clients look up, for example {@code example.service}
 * @param address host name or IP literal the instance listens on
 * @param port TCP port, 1 to 65535
 * @param tags free-form labels, never null
 * @param metadata free-form key/value pairs, never null
 */
public record ServiceInstance(
    String id,
    String service,
    String address,
    int port,
    List<String> tags,
    Map<String, String> metadata) {

  public ServiceInstance {
    requireText("id", id);
    requireText("service", service);
    requireText("address", address);
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
    }
    tags = tags == null ? List.of() : List.copyOf(tags);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  /** An instance with no tags and no metadata. */
  public static ServiceInstance of(String id, String service, String address, int port) {
    return new ServiceInstance(id, service, address, port, List.of(), Map.of());
  }

  /** {@code address:port}, with brackets around an IPv6 literal. */
  public String authority() {
    return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
  }

  private static void requireText(String field, String value) {
    Objects.requireNonNull(value, () -> field + " must not be null");
    if (value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank");
    }
  }
}
