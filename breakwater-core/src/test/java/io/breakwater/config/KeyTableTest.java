package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.CommandConfig;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The key table covers every field, splits keys unambiguously, and tells what code set. */
class KeyTableTest {

  @Test
  void everyFieldOfEveryConfigHasAKey() {
    assertThat(fieldsWithKeys(Scopes.COMMAND)).isEqualTo(accessors(CommandConfig.class));
    assertThat(fieldsWithKeys(Scopes.THREAD_POOL)).isEqualTo(accessors(ThreadPoolConfig.class));
    assertThat(fieldsWithKeys(Scopes.COLLAPSER)).isEqualTo(accessors(CollapserConfig.class));
    assertThat(fieldsWithKeys(Scopes.GLOBAL)).isEqualTo(accessors(StreamSettings.class));
  }

  @Test
  void noHystrixNameEndsAnotherSoKeysSplitOneWay() {
    for (Scope<?, ?> scope : Scopes.ALL) {
      for (Setting<?, ?> a : scope.settings()) {
        for (Setting<?, ?> b : scope.settings()) {
          if (a != b && a.hystrixName() != null && b.hystrixName() != null) {
            assertThat(a.hystrixName()).as(scope.label())
                .doesNotEndWith("." + b.hystrixName());
          }
        }
      }
    }
  }

  @Test
  void theProbeDiffersFromTheDefaultsInEveryField() {
    for (Scope<?, ?> scope : Scopes.ALL) {
      assertThat(scope.probeDiffersEverywhere()).as(scope.label()).isTrue();
    }
  }

  @Test
  void keysSplitIntoNameAndSetting() {
    Scope.Match<?, ?> m = Scopes.COMMAND.match(
        "hystrix.command.pkg.Service/Method.circuitBreaker.enabled");
    assertThat(m.name()).isEqualTo("pkg.Service/Method");
    assertThat(m.setting().field()).isEqualTo("circuitBreakerEnabled");

    m = Scopes.COMMAND.match("breakwater.command.a.timeoutMillis.timeoutMillis");
    assertThat(m.name()).isEqualTo("a.timeoutMillis");
    assertThat(m.setting().field()).isEqualTo("timeoutMillis");

    m = Scopes.THREAD_POOL.match("hystrix.threadpool.default.keepAliveTimeMinutes");
    assertThat(m.name()).isNull();
    assertThat(m.setting().field()).isEqualTo("keepAliveMinutes");

    m = Scopes.GLOBAL.match("hystrix.config.stream.maxConcurrentConnections");
    assertThat(m.setting().field()).isEqualTo("maxConcurrentConnections");

    assertThat(Scopes.COMMAND.match("hystrix.command.execution.isolation.strategy")).isNull();
    assertThat(Scopes.COMMAND.match("breakwater.command..timeoutMillis")).isNull();
    assertThat(Scopes.COMMAND.match("breakwater.command.timeoutMillis")).isNull();
    assertThat(Scopes.COMMAND.match("hystrix.command.X.execution.isolation")).isNull();
    assertThat(Scopes.COMMAND.owns("hystrix.command.X.execution.isolation")).isTrue();
    assertThat(Scopes.COMMAND.owns("hystrix.threadpool.X.coreSize")).isFalse();
    assertThat(Scopes.GLOBAL.owns("hystrix.timer.threadpool.default.coreSize")).isTrue();
  }

  @Test
  void keysAreSpelledOursFirst() {
    Setting<CommandConfig, CommandConfig.Builder> timeout = Scopes.COMMAND.settings().get(1);
    assertThat(Scopes.COMMAND.keys("GetUser", timeout)).containsExactly(
        "breakwater.command.GetUser.timeoutMillis",
        "hystrix.command.GetUser.execution.isolation.thread.timeoutInMilliseconds");
    assertThat(Scopes.COMMAND.keys(null, timeout)).containsExactly(
        "breakwater.command.default.timeoutMillis",
        "hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds");
  }

  static Stream<Arguments> settingsWithEffect() {
    List<Arguments> all = new ArrayList<>();
    for (Scope<?, ?> scope : Scopes.ALL) {
      for (Setting<?, ?> s : scope.settings()) {
        if (s.hasEffect()) {
          all.add(Arguments.of(scope.label() + "." + s.label(), scope, s));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("settingsWithEffect")
  void codeThatSetsOneFieldSetsExactlyThatField(String label, Scope<?, ?> scope,
      Setting<?, ?> setting) {
    assertOnlyThisFieldIsSet(scope, setting);
  }

  private static <C, B> void assertOnlyThisFieldIsSet(Scope<C, B> scope, Setting<?, ?> raw) {
    @SuppressWarnings("unchecked")
    Setting<C, B> s = (Setting<C, B>) raw;
    Object defaultValue = s.get(scope.builtIn());
    Map<Setting<C, B>, Object> toDefault = scope.codeValues(b -> s.set(b, defaultValue));
    assertThat(toDefault).as("set to its default value").hasSize(1).containsKey(s);
    assertThat(toDefault.get(s)).isEqualTo(defaultValue);
  }

  @Test
  void codeThatSetsNothingSetsNothingAndAWholeConfigSetsEverything() {
    for (Scope<?, ?> scope : Scopes.ALL) {
      assertWholeAndEmpty(scope);
    }
  }

  private static <C, B> void assertWholeAndEmpty(Scope<C, B> scope) {
    assertThat(scope.codeValues(b -> { })).as(scope.label()).isEmpty();
    assertThat(scope.codeValues(scope.builtIn())).as(scope.label())
        .hasSize(fieldsWithKeys(scope).size());
  }

  private static Set<String> fieldsWithKeys(Scope<?, ?> scope) {
    Set<String> fields = new TreeSet<>();
    for (Setting<?, ?> s : scope.settings()) {
      if (s.hasEffect()) {
        fields.add(s.field());
      }
    }
    return fields;
  }

  /** The public no-argument value methods of a config class, which are its fields. */
  private static Set<String> accessors(Class<?> type) {
    Set<String> names = new TreeSet<>();
    for (Method m : type.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
          && m.getParameterCount() == 0 && m.getReturnType() != void.class
          && !Set.of("toBuilder", "hashCode", "toString", "effectiveMaximumSize")
              .contains(m.getName())) {
        names.add(m.getName());
      }
    }
    return names;
  }
}
