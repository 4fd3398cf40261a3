package io.breakwater.config;

import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * WARNs about configuration, each said once: a bad value is recomputed on every change that
 * touches its command, and repeating the same WARN each time would bury the new ones. A subject
 * (usually a key) is reported again when its value changes, or after {@link #clear(String)}.
 */
final class Warnings {

  private final Logger log;
  private final ConcurrentHashMap<String, String> reported = new ConcurrentHashMap<>();

  Warnings(Logger log) {
    this.log = log;
  }

  void warn(String subject, String value, String format, Object... args) {
    String before = reported.put(subject, value);
    if (!value.equals(before)) {
      log.warn(format, args);
    }
  }

  /** The subject is fine again; its next problem is reported even with a value seen before. */
  void clear(String subject) {
    reported.remove(subject);
  }
}
