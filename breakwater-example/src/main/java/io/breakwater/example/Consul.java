package io.breakwater.example;

import io.breakwater.discovery.ConsulRegistry;

/** The registry the {@code server} and {@code client} commands share: any Consul HTTP API. */
final class Consul {

  static final String USAGE_LINE =
      "  --consul URL         the registry: a Consul agent or `registry`; default "
          + "$CONSUL_HTTP_ADDR,\n                       else http://127.0.0.1:8500";

  private Consul() {}

  /**
   * A registry client for {@code --consul} when given, else for the environment's {@code
   * CONSUL_HTTP_*} variables, else for 127.0.0.1:8500.
   */
  static ConsulRegistry connect(String consulOption, Terminal terminal) throws UsageException {
    ConsulRegistry.Builder b = ConsulRegistry.builder().environment(terminal.environment());
    if (consulOption != null) {
      b.address(consulOption);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new UsageException((consulOption != null ? "--consul" : "CONSUL_HTTP_ADDR")
          + ": " + e.getMessage());
    }
  }
}
