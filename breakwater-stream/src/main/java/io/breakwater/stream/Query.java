package io.breakwater.stream;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** The query string of a request, decoded; malformed input is refused with a clear message. */
final class Query {

  static final int MAX_LENGTH = 2048;

  private final Map<String, String> values;

  private Query(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses a raw query string.
   *
   * @throws BadRequest when it is too long, badly encoded or names a parameter twice
   */
  static Query parse(String raw) {
    Map<String, String> values = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return new Query(values);
    }
    if (raw.length() > MAX_LENGTH) {
      throw new BadRequest("the query string is longer than " + MAX_LENGTH + " characters");
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (values.put(name, value) != null) {
        throw new BadRequest("the parameter '" + name + "' is given more than once");
      }
    }
    return new Query(values);
  }

  String get(String name) {
    return values.get(name);
  }

  /**
   * An integer parameter within bounds, or the default when absent.
   *
   * @throws BadRequest when it is not an integer or out of range
   */
  long integer(String name, long defaultValue, long min, long max) {
    String raw = values.get(name);
    if (raw == null) {
      return defaultValue;
    }
    long value;
    try {
      value = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be a whole number of milliseconds between " + min
          + " and " + max + ", was '" + shorten(raw) + "'");
    }
    if (value < min || value > max) {
      throw new BadRequest(name + " must be between " + min + " and " + max
          + " milliseconds, was " + value);
    }
    return value;
  }

  /**
   * A name parameter (a service or instance id): letters, digits and {@code . _ - :}, at most
   * 200 characters.
   *
   * @throws BadRequest when it is missing but required, or has other characters
   */
  String name(String name, boolean required) {
    String raw = values.get(name);
    if (raw == null || raw.isEmpty()) {
      if (required) {
        throw new BadRequest("the parameter '" + name + "' is required");
      }
      return null;
    }
    if (raw.length() > 200 || !raw.matches("[A-Za-z0-9._:\\-]+")) {
      throw new BadRequest(name + " may hold only letters, digits and . _ - : (at most 200),"
          + " was '" + shorten(raw) + "'");
    }
    return raw;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadRequest("the query string is not properly percent-encoded");
    }
  }

  private static String shorten(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 40 ? printable : printable.substring(0, 40) + "...";
  }

  /** A request the server refuses with 400 and this message. */
  static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message, null, false, false);
    }
  }
}
