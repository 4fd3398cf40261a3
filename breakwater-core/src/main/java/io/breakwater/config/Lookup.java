package io.breakwater.config;

import java.util.List;

/** Reads keys from the bound sources, in the binder's order of precedence. */
@FunctionalInterface
interface Lookup {

  /** One key found in one source. */
  record Found(String key, String value, String source) {

    @Override
    public String toString() {
      return key + "=" + value + " (from " + source + ")";
    }
  }

  /**
   * Every occurrence of {@code keys}, most preferred first: sources in the order they were
   * bound, and within one source the keys in the order given.
   */
  List<Found> find(List<String> keys);
}
