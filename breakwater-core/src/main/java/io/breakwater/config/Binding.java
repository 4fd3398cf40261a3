package io.breakwater.config;

import io.breakwater.config.Lookup.Found;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The configuration of every name in one scope, computed from four levels, highest first, as
 * Hystrix does it:
 *
 * <ol>
 *   <li>the name's own property ({@code hystrix.command.GetUser.…}),
 *   <li>the name's config in code,
 *   <li>the default level's property ({@code hystrix.command.default.…}),
 *   <li>the base config: the built-in defaults unless the binder was given others.
 * </ol>
 *
 * <p>Levels 3 and 4 make the default config, which goes to the runtime as its default, so a
 * name nobody mentions follows it without being tracked. Levels 1 and 2 are laid over the
 * default config for each name the binder knows of.
 *
 * <p>A value that does not parse or is out of range is refused with a WARN, and the key keeps
 * the last value it had that was accepted; if it never had one, it is ignored and the next
 * lower level decides. Values that are fine alone but not together (a window the buckets don't
 * divide, a maximum below the core size) are detected when the config is built: then the
 * binder starts again from the config the name has now and adds the changes one setting at a
 * time, in table order, refusing each one that breaks the build. Either way a name only ever
 * moves from one valid config to another, and every value that did not make it is named in a
 * WARN with its key and value.
 *
 * <p>Not thread-safe for refreshes: the binder serializes them. {@link #resolveDetached} may
 * run concurrently with them; it reads and never records.
 */
final class Binding<C, B> {

  /** Where computed configs go. */
  interface Target<C> {
    void applyDefault(C config);

    /** The config {@code name} has now. */
    C current(String name);

    void apply(String name, C config);
  }

  /** Where the wanted value of a setting came from, for WARNs. */
  private record Origin(Object value, Found found, String description) {}

  private final Scope<C, B> scope;
  private final Lookup lookup;
  private final Warnings warnings;
  private final Target<C> target;
  private final C base;
  private final ConcurrentHashMap<String, Map<Setting<C, B>, Object>> code =
      new ConcurrentHashMap<>();
  private final Set<String> names = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, Object> lastGood = new ConcurrentHashMap<>();
  private volatile C defaults;

  Binding(Scope<C, B> scope, C base, Lookup lookup, Warnings warnings, Target<C> target) {
    this.scope = scope;
    this.base = Objects.requireNonNull(base, "base config must not be null");
    this.lookup = lookup;
    this.warnings = warnings;
    this.target = target;
    this.defaults = base;
  }

  Scope<C, B> scope() {
    return scope;
  }

  /** The default config: base plus the default level's properties. */
  C defaults() {
    return defaults;
  }

  boolean knows(String name) {
    return names.contains(name);
  }

  void track(String name) {
    names.add(name);
  }

  void setCode(String name, Map<Setting<C, B>, Object> values) {
    code.put(name, values);
    names.add(name);
  }

  /** Hands the base to the target, then computes everything. */
  void start() {
    target.applyDefault(defaults);
    refreshAll();
  }

  boolean refreshAll() {
    boolean changed = refreshDefaults();
    for (String name : names) {
      changed |= refresh(name);
    }
    return changed;
  }

  /** Recomputes the default config; true when it changed. */
  boolean refreshDefaults() {
    C previous = defaults;
    C next = resolve(null, base, Map.of(), previous, true);
    if (next.equals(previous)) {
      return false;
    }
    defaults = next;
    target.applyDefault(next);
    return true;
  }

  /** Recomputes one name's config and applies it when it changed; true when it did. */
  boolean refresh(String name) {
    names.add(name);
    C previous = target.current(name);
    C next = resolve(name, defaults, code.getOrDefault(name, Map.of()), previous, true);
    if (next.equals(previous)) {
      return false;
    }
    target.apply(name, next);
    return true;
  }

  /**
   * The config {@code name} should have, computed without applying or recording anything, for
   * a runtime creating the name right now. The name is tracked from now on, so the next change
   * recomputes it.
   */
  C resolveDetached(String name) {
    names.add(name);
    C lower = defaults;
    return resolve(name, lower, code.getOrDefault(name, Map.of()), lower, false);
  }

  private C resolve(String name, C lower, Map<Setting<C, B>, Object> codeValues, C previous,
      boolean record) {
    B builder = scope.toBuilder(lower);
    Map<Setting<C, B>, Origin> origins = new HashMap<>();
    Map<String, Object> accepted = new LinkedHashMap<>();
    codeValues.forEach((s, v) -> {
      s.set(builder, v);
      origins.put(s, new Origin(v, null, "code config of " + describe(name) + ": "
          + s.label() + "=" + v));
    });

    for (Setting<C, B> s : scope.settings()) {
      List<String> keys = scope.keys(name, s);
      List<Found> found = lookup.find(keys);
      if (record) {
        forgetAbsent(keys, found);
      }
      if (name == null && s.instanceOnly()) {
        for (Found f : found) {
          warnings.warn(f.key(), f.value(), "Ignored configuration {}: {} applies to one {} "
              + "only, so it has no default level", f, s.label(), scope.label());
        }
        continue;
      }
      Origin o = choose(s, found, builder, accepted);
      if (o != null && s.hasEffect()) {
        origins.put(s, o);
      }
    }

    C result;
    Set<String> refused = new HashSet<>();
    try {
      result = scope.build(builder);
    } catch (IllegalArgumentException e) {
      result = reconcile(name, lower, origins, previous, refused);
    }
    if (record) {
      accepted.forEach((key, value) -> {
        if (!refused.contains(key)) {
          lastGood.put(key, value);
          warnings.clear(key);
        }
      });
    }
    return result;
  }

  /**
   * Writes the first usable occurrence of the setting to the builder: one that parses and
   * passes the builder's check, or the last good value of a key that no longer does.
   */
  private Origin choose(Setting<C, B> s, List<Found> found, B builder,
      Map<String, Object> accepted) {
    for (Found f : found) {
      try {
        Object value = s.parse(f.value());
        s.set(builder, value);
        accepted.put(f.key(), value);
        return new Origin(value, f, f.toString());
      } catch (IllegalArgumentException e) {
        Object good = lastGood.get(f.key());
        if (good != null) {
          warnings.warn(f.key(), f.value(), "Refused configuration {}: {}; keeping {}", f,
              e.getMessage(), good);
          s.set(builder, good);
          return new Origin(good, f, f.key() + "=" + good);
        }
        warnings.warn(f.key(), f.value(),
            "Refused configuration {}: {}; ignoring the key, so the level below applies", f,
            e.getMessage());
      }
    }
    return null;
  }

  /**
   * Moves from {@code previous} towards the wanted values one setting at a time, refusing each
   * change that cannot be built with the ones accepted before it.
   */
  private C reconcile(String name, C lower, Map<Setting<C, B>, Origin> origins, C previous,
      Set<String> refused) {
    B builder = scope.toBuilder(previous);
    C current = previous;
    for (Setting<C, B> s : scope.settings()) {
      if (!s.hasEffect()) {
        continue;
      }
      Origin o = origins.get(s);
      Object want = o != null ? o.value() : s.get(lower);
      Object have = s.get(current);
      if (Objects.equals(want, have)) {
        continue;
      }
      s.set(builder, want);
      try {
        current = scope.build(builder);
      } catch (IllegalArgumentException e) {
        s.set(builder, have);
        String description = o != null ? o.description()
            : s.label() + "=" + want + " inherited by " + describe(name)
                + " from the default level";
        String subject = o != null && o.found() != null ? o.found().key()
            : scope.label() + ":" + name + ":" + s.label();
        if (o != null && o.found() != null) {
          refused.add(o.found().key());
        }
        warnings.warn(subject, String.valueOf(want), "Refused configuration {}: {}; {} keeps {}",
            description, e.getMessage(), describe(name), s.label() + "=" + have);
      }
    }
    return current;
  }

  private void forgetAbsent(List<String> keys, List<Found> found) {
    for (String key : keys) {
      boolean present = false;
      for (Found f : found) {
        present |= f.key().equals(key);
      }
      if (!present) {
        lastGood.remove(key);
        warnings.clear(key);
      }
    }
  }

  private String describe(String name) {
    return name == null ? "the default " + scope.label() + " config"
        : scope.label() + " '" + name + "'";
  }
}
