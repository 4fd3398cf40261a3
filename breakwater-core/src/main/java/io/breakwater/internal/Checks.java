package io.breakwater.internal;

/**
 * The value checks every config builder shares, so that a refused value reads the same
 * wherever it was given: the field, the allowed range, the value.
 */
public final class Checks {

  private Checks() {}

  /** {@code value} as an int when it is between 1 and {@code Integer.MAX_VALUE}. */
  public static int positive(String field, long value) {
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          field + " must be between 1 and " + Integer.MAX_VALUE + ", was " + value);
    }
    return (int) value;
  }

  /** {@code value} as an int when it is between 0 and {@code Integer.MAX_VALUE}. */
  public static int nonNegative(String field, long value) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          field + " must be between 0 and " + Integer.MAX_VALUE + ", was " + value);
    }
    return (int) value;
  }

  /** Refuses a bucket count that does not divide its window into whole milliseconds. */
  public static void divides(String window, int windowMillis, String buckets, int count) {
    if (count > windowMillis || windowMillis % count != 0) {
      throw new IllegalArgumentException(buckets + " (" + count + ") must divide " + window
          + " (" + windowMillis + ") into whole milliseconds");
    }
  }
}
