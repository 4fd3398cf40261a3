package io.breakwater.config;

import io.breakwater.Isolation;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.internal.Checks;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * One configurable value: Breakwater's name for it (the builder method's name), Hystrix's name
 * for it, how its text is parsed, and how it is read from a built config and written to a
 * builder. Writing goes through the builder's own setter, so the range checks and their messages
 * are the builders'; this class only turns text into a typed value.
 *
 * <p>A setting without a getter is accepted for compatibility and has no effect: Hystrix 1.5
 * itself ignored {@code metrics.rollingPercentile.bucketSize} and Breakwater has no timer pool
 * to size. Its value is still checked, so a typo is reported.
 */
final class Setting<C, B> {

  enum Type {
    INTEGER("a whole number"),
    BOOLEAN("true or false"),
    ISOLATION("THREAD, SEMAPHORE or VIRTUAL"),
    COLLAPSER_SCOPE("REQUEST or GLOBAL"),
    NAME("a name");

    final String expected;

    Type(String expected) {
      this.expected = expected;
    }
  }

  private final String field;
  private final String hystrixName;
  private final Type type;
  private final boolean instanceOnly;
  private final Function<C, Object> getter;
  private final BiConsumer<B, Object> setter;

  private Setting(String field, String hystrixName, Type type, boolean instanceOnly,
      Function<C, Object> getter, BiConsumer<B, Object> setter) {
    this.field = field;
    this.hystrixName = hystrixName;
    this.type = type;
    this.instanceOnly = instanceOnly;
    this.getter = getter;
    this.setter = setter;
  }

  static <C, B> Setting<C, B> integer(String field, String hystrixName, ToIntFunction<C> get,
      ObjIntConsumer<B> set) {
    return new Setting<>(field, hystrixName, Type.INTEGER, false, get::applyAsInt,
        (b, v) -> set.accept(b, (Integer) v));
  }

  static <C, B> Setting<C, B> bool(String field, String hystrixName, Predicate<C> get,
      BiConsumer<B, Boolean> set) {
    return new Setting<>(field, hystrixName, Type.BOOLEAN, false, get::test,
        (b, v) -> set.accept(b, (Boolean) v));
  }

  static <C, B> Setting<C, B> isolation(String field, String hystrixName,
      Function<C, Isolation> get, BiConsumer<B, Isolation> set) {
    return new Setting<>(field, hystrixName, Type.ISOLATION, false, get::apply,
        (b, v) -> set.accept(b, (Isolation) v));
  }

  /** A collapser's scope; Hystrix set it only in code, so it has no Hystrix name. */
  static <C, B> Setting<C, B> collapserScope(String field,
      Function<C, CollapserConfig.Scope> get, BiConsumer<B, CollapserConfig.Scope> set) {
    return new Setting<>(field, null, Type.COLLAPSER_SCOPE, false, get::apply,
        (b, v) -> set.accept(b, (CollapserConfig.Scope) v));
  }

  /** A name that only makes sense for one command, so it has no {@code default} level. */
  static <C, B> Setting<C, B> instanceName(String field, String hystrixName,
      Function<C, String> get, BiConsumer<B, String> set) {
    return new Setting<>(field, hystrixName, Type.NAME, true, get::apply,
        (b, v) -> set.accept(b, (String) v));
  }

  /** A Hystrix key accepted and checked (a positive whole number) that changes nothing. */
  static <C, B> Setting<C, B> noEffect(String hystrixName) {
    return new Setting<>(null, hystrixName, Type.INTEGER, false, null,
        (b, v) -> Checks.positive(hystrixName, (Integer) v));
  }

  /** Breakwater's name, the last part of {@code breakwater.<scope>.<name>.<field>}; or null. */
  String field() {
    return field;
  }

  /** Hystrix's name after {@code hystrix.<scope>.<name>.} (the whole key for global ones). */
  String hystrixName() {
    return hystrixName;
  }

  boolean instanceOnly() {
    return instanceOnly;
  }

  boolean hasEffect() {
    return getter != null;
  }

  /** The name to show in messages: ours when there is one. */
  String label() {
    return field != null ? field : hystrixName;
  }

  /**
   * The typed value of {@code raw}, surrounding blanks ignored.
   *
   * @throws IllegalArgumentException naming the setting and the text when it does not parse
   */
  Object parse(String raw) {
    String text = raw.trim();
    switch (type) {
      case INTEGER:
        try {
          return Integer.valueOf(text);
        } catch (NumberFormatException e) {
          throw refused(raw);
        }
      case BOOLEAN:
        if (text.equalsIgnoreCase("true")) {
          return Boolean.TRUE;
        }
        if (text.equalsIgnoreCase("false")) {
          return Boolean.FALSE;
        }
        throw refused(raw);
      case ISOLATION:
        try {
          return Isolation.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw refused(raw);
        }
      case COLLAPSER_SCOPE:
        try {
          return CollapserConfig.Scope.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw refused(raw);
        }
      case NAME:
        return text;
      default:
        throw new AssertionError(type);
    }
  }

  private IllegalArgumentException refused(String raw) {
    return new IllegalArgumentException(
        label() + " must be " + type.expected + ", was '" + raw + "'");
  }

  Object get(C config) {
    return getter.apply(config);
  }

  /** Writes through the builder's setter, which throws when the value is out of range. */
  void set(B builder, Object value) {
    setter.accept(builder, value);
  }

  @Override
  public String toString() {
    return label();
  }
}
