package io.breakwater.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The settings of one kind of thing (commands, thread pools, collapsers, the stream) and how
 * their keys are spelled.
 *
 * <p>Per-name scopes spell keys {@code hystrix.<scope>.<name>.<hystrixName>} and
 * {@code breakwater.<scope>.<name>.<field>}, with the name {@code default} for the global level.
 * A name may itself contain dots (a gRPC method name does), so a key is split by finding the
 * setting it ends with: ours are one segment, Hystrix's are matched longest first. The global
 * scope has no names; its Hystrix keys are whole keys.
 *
 * <p>{@link #codeValues(Consumer)} finds which fields a code customizer set: it runs the
 * customizer on a builder holding the built-in defaults and on one holding a probe config in
 * which every field differs from the default. A field the customizer set comes out the same
 * from both; a field it left alone comes out different. That lets code set only some fields, as
 * Hystrix's {@code Setter} does, so global properties still reach the others. The probe is
 * chosen so that any customizer valid on the defaults is also valid on it (its buckets are 1 and
 * its windows are multiples of the default windows; its pool maximum is the largest int).
 */
final class Scope<C, B> {

  static final String DEFAULT = "default";

  /** Where a key points: a setting of one name, or of the default level when name is null. */
  record Match<C, B>(String name, Setting<C, B> setting) {}

  private final String label;
  private final String ourPrefix;
  private final String hystrixPrefix;
  private final boolean global;
  private final List<Setting<C, B>> settings;
  private final C builtIn;
  private final C probe;
  private final Function<C, B> toBuilder;
  private final Function<B, C> build;
  private final Map<String, Setting<C, B>> byField = new HashMap<>();
  private final List<Setting<C, B>> longestHystrixFirst;

  Scope(String label, String ourPrefix, String hystrixPrefix, boolean global,
      List<Setting<C, B>> settings, C builtIn, C probe, Function<C, B> toBuilder,
      Function<B, C> build) {
    this.label = label;
    this.ourPrefix = ourPrefix;
    this.hystrixPrefix = hystrixPrefix;
    this.global = global;
    this.settings = List.copyOf(settings);
    this.builtIn = builtIn;
    this.probe = probe;
    this.toBuilder = toBuilder;
    this.build = build;
    for (Setting<C, B> s : settings) {
      if (s.field() != null && byField.put(s.field(), s) != null) {
        throw new IllegalStateException("two " + label + " settings named " + s.field());
      }
    }
    List<Setting<C, B>> sorted = new ArrayList<>();
    for (Setting<C, B> s : settings) {
      if (s.hystrixName() != null) {
        sorted.add(s);
      }
    }
    sorted.sort((a, b) -> b.hystrixName().length() - a.hystrixName().length());
    this.longestHystrixFirst = List.copyOf(sorted);
  }

  /** What the scope configures, for messages: "command", "thread pool", ... */
  String label() {
    return label;
  }

  List<Setting<C, B>> settings() {
    return settings;
  }

  C builtIn() {
    return builtIn;
  }

  B toBuilder(C config) {
    return toBuilder.apply(config);
  }

  C build(B builder) {
    return build.apply(builder);
  }

  /**
   * The keys that set {@code setting} for {@code name} (null for the default level), in order
   * of preference: Breakwater's name first, then Hystrix's.
   */
  List<String> keys(String name, Setting<C, B> setting) {
    List<String> keys = new ArrayList<>(2);
    String level = name == null ? DEFAULT : name;
    if (setting.field() != null) {
      keys.add(global ? ourPrefix + setting.field() : ourPrefix + level + "." + setting.field());
    }
    if (setting.hystrixName() != null) {
      keys.add(global ? setting.hystrixName() : hystrixPrefix + level + "."
          + setting.hystrixName());
    }
    return keys;
  }

  /** Whether {@code key} is in this scope's namespace, known or not. */
  boolean owns(String key) {
    if (key.startsWith(ourPrefix) || key.startsWith(hystrixPrefix)) {
      return true;
    }
    if (global) {
      for (Setting<C, B> s : settings) {
        if (key.equals(s.hystrixName())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The setting and name {@code key} configures, or null when no setting of ours matches. */
  Match<C, B> match(String key) {
    if (global) {
      for (Setting<C, B> s : settings) {
        if (key.equals(s.hystrixName())
            || (s.field() != null && key.equals(ourPrefix + s.field()))) {
          return new Match<>(null, s);
        }
      }
      return null;
    }
    if (key.startsWith(ourPrefix)) {
      String rest = key.substring(ourPrefix.length());
      int dot = rest.lastIndexOf('.');
      Setting<C, B> s = dot < 0 ? null : byField.get(rest.substring(dot + 1));
      return s == null ? null : match(rest.substring(0, dot), s);
    }
    if (key.startsWith(hystrixPrefix)) {
      String rest = key.substring(hystrixPrefix.length());
      for (Setting<C, B> s : longestHystrixFirst) {
        String suffix = "." + s.hystrixName();
        if (rest.endsWith(suffix) && rest.length() > suffix.length()) {
          return match(rest.substring(0, rest.length() - suffix.length()), s);
        }
      }
    }
    return null;
  }

  private Match<C, B> match(String name, Setting<C, B> s) {
    if (name.isBlank()) {
      return null;
    }
    return new Match<>(name.equals(DEFAULT) ? null : name, s);
  }

  /**
   * The fields {@code customizer} sets, with their values; see the class comment.
   *
   * @throws IllegalArgumentException from the builder, naming the field and value, when the
   *     customizer's values are invalid
   */
  Map<Setting<C, B>, Object> codeValues(Consumer<? super B> customizer) {
    Objects.requireNonNull(customizer, "customizer must not be null");
    B fromDefaults = toBuilder(builtIn);
    customizer.accept(fromDefaults);
    C result = build(fromDefaults);
    B fromProbe = toBuilder(probe);
    customizer.accept(fromProbe);
    C probed;
    try {
      probed = build(fromProbe);
    } catch (IllegalArgumentException e) {
      // The probe is built so this cannot happen; if it does, count every field as set.
      return codeValues(result);
    }
    Map<Setting<C, B>, Object> values = new LinkedHashMap<>();
    for (Setting<C, B> s : settings) {
      if (s.hasEffect() && Objects.equals(s.get(result), s.get(probed))) {
        values.put(s, s.get(result));
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /** Every field of a whole config, as set in code. */
  Map<Setting<C, B>, Object> codeValues(C config) {
    Objects.requireNonNull(config, "config must not be null");
    Map<Setting<C, B>, Object> values = new LinkedHashMap<>();
    for (Setting<C, B> s : settings) {
      if (s.hasEffect()) {
        values.put(s, s.get(config));
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /** A probe config differs from the built-in one in every field that has an effect. */
  boolean probeDiffersEverywhere() {
    for (Setting<C, B> s : settings) {
      if (s.hasEffect() && Objects.equals(s.get(builtIn), s.get(probe))) {
        return false;
      }
    }
    return true;
  }
}
