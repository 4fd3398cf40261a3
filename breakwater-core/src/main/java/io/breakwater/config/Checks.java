package io.breakwater.config;

/** The value checks the settings builders of this package share; each names field and value. */
final class Checks {

  private Checks() {}

  static int positive(String field, long value) {
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          field + " must be between 1 and " + Integer.MAX_VALUE + ", was " + value);
    }
    return (int) value;
  }

  static void divides(String window, int windowMillis, String buckets, int count) {
    if (count > windowMillis || windowMillis % count != 0) {
      throw new IllegalArgumentException(buckets + " (" + count + ") must divide " + window
          + " (" + windowMillis + ") into whole milliseconds");
    }
  }
}
