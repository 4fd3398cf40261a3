package io.breakwater.discovery;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations in the text form of Go's {@code time.Duration} ({@code "10s"}, {@code "1m30s"},
 * {@code "500ms"}), which is what Consul's API reads and writes.
 */
final class GoDuration {

  private GoDuration() {}

  /**
   * Parses a Go duration: an optional sign, then one or more decimal numbers, each with an optional
   * fraction and a unit ({@code ns}, {@code us}, {@code µs}, {@code ms}, {@code s}, {@code m},
   * {@code h}). A lone {@code "0"} is zero.
   *
   * @throws IllegalArgumentException in Go's words, {@code time: invalid duration "<text>"}
   */
  static Duration parse(String text) {
    if (text == null || text.isEmpty()) {
      throw invalid(text);
    }
    int i = 0;
    boolean negative = false;
    if (text.charAt(0) == '-' || text.charAt(0) == '+') {
      negative = text.charAt(0) == '-';
      i++;
    }
    if (text.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == text.length()) {
      throw invalid(text);
    }
    BigDecimal totalNanos = BigDecimal.ZERO;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      String number = text.substring(start, i);
      boolean twoPoints = number.indexOf('.') != number.lastIndexOf('.');
      if (number.isEmpty() || number.equals(".") || twoPoints) {
        throw invalid(text);
      }
      int unitStart = i;
      while (i < text.length() && !Character.isDigit(text.charAt(i)) && text.charAt(i) != '.') {
        i++;
      }
      long unitNanos = unitNanos(text.substring(unitStart, i), text);
      totalNanos = totalNanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(unitNanos)));
    }
    if (totalNanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw invalid(text);
    }
    long nanos = totalNanos.longValue();
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  private static long unitNanos(String unit, String text) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "\u00b5s", "\u03bcs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      default -> throw invalid(text);
    };
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("time: invalid duration \"" + text + "\"");
  }

  /**
   * Formats a non-negative duration the way Go prints one: {@code "1m30s"}, {@code "1h0m0s"},
   * {@code "1.5s"}, {@code "250ms"}; below one second in the largest whole unit of ms, µs or ns.
   */
  static String format(Duration duration) {
    long nanos = duration.toNanos();
    if (nanos == 0) {
      return "0s";
    }
    if (nanos < 1_000_000_000L) {
      if (nanos % 1_000_000L == 0) {
        return nanos / 1_000_000L + "ms";
      }
      if (nanos % 1_000L == 0) {
        return nanos / 1_000L + "us";
      }
      return nanos + "ns";
    }
    long hours = nanos / 3_600_000_000_000L;
    long minutes = nanos / 60_000_000_000L % 60;
    long wholeSeconds = nanos / 1_000_000_000L % 60;
    long fraction = nanos % 1_000_000_000L;
    StringBuilder text = new StringBuilder();
    if (hours > 0) {
      text.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      text.append(minutes).append('m');
    }
    text.append(wholeSeconds);
    if (fraction > 0) {
      String digits = String.format("%09d", fraction).replaceAll("0+$", "");
      text.append('.').append(digits);
    }
    return text.append('s').toString();
  }
}
