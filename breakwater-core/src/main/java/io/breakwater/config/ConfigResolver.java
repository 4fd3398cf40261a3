package io.breakwater.config;

import io.breakwater.CommandConfig;
import io.breakwater.ThreadPoolConfig;

/**
 * Supplies the configuration of a command or thread pool at the moment a runtime first creates
 * it, for names no one configured explicitly. {@link ConfigurationBinder} implements it, so a
 * command first seen at run time gets its properties even from a source that can answer
 * lookups but cannot list its keys.
 *
 * <p>A runtime calls these methods while it creates the command or pool, possibly under its
 * own locks: implementations must be fast, must not block, and must not call back into the
 * runtime.
 */
public interface ConfigResolver {

  /** The config command {@code name} starts with, or null for the runtime's default. */
  CommandConfig commandConfig(String name);

  /** The config thread pool {@code key} starts with, or null for the runtime's default. */
  ThreadPoolConfig threadPoolConfig(String key);
}
