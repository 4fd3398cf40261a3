package io.breakwater.example;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The options of one command: {@code --name value} or {@code --name=value} for options that take
 * a value, {@code --name} alone for flags, and {@code -h}/{@code --help}. Anything else is a
 * {@link UsageException} naming it.
 */
final class Arguments {

  private final Map<String, String> values = new HashMap<>();
  private final Set<String> flags;
  private boolean help;

  private Arguments(Set<String> flags) {
    this.flags = flags;
  }

  /** Reads {@code args} from {@code from} on. */
  static Arguments parse(String[] args, int from, Set<String> valued, Set<String> flags)
      throws UsageException {
    Arguments parsed = new Arguments(flags);
    for (int i = from; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("-h") || name.equals("--help")) {
        parsed.help = true;
      } else if (valued.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new UsageException(name + " needs a value");
          }
          value = args[++i];
        }
        parsed.values.put(name, value);
      } else if (flags.contains(name) && value == null) {
        parsed.values.put(name, "true");
      } else {
        throw new UsageException("unknown argument '" + arg + "'");
      }
    }
    return parsed;
  }

  boolean help() {
    return help;
  }

  boolean flag(String name) {
    return flags.contains(name) && values.containsKey(name);
  }

  /** The option's value, or null when not given. */
  String text(String name) {
    return values.get(name);
  }

  /** The option as a whole number between {@code min} and {@code max}. */
  int number(String name, int defaultValue, int min, int max) throws UsageException {
    String value = values.get(name);
    if (value == null) {
      return defaultValue;
    }
    return number(name, value, min, max);
  }

  static int number(String name, String value, int min, int max) throws UsageException {
    String digits = value.trim();
    if (!digits.matches("[-+]?\\d+")) {
      throw new UsageException(name + " must be a whole number, was '" + value + "'");
    }
    // A whole number too long even for a long is out of range, not malformed.
    BigInteger n = new BigInteger(digits);
    if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new UsageException(name + " must be between " + min + " and " + max + ", was "
          + digits);
    }
    return n.intValueExact();
  }
}
