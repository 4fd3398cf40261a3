package io.breakwater.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the sources tell their listeners, and when. */
class SourcesTest {

  @Test
  void aMapSourceTellsOnlyTheKeysThatChanged() {
    MapSource source = MapSource.of(Map.of("a", "1", "b", "2"));
    List<Set<String>> heard = new ArrayList<>();
    source.subscribe(heard::add);

    source.set("a", "1");
    source.set("a", "10");
    source.setAll(Map.of("a", "10", "b", "20", "c", "30"));
    source.remove("zz");
    source.remove("c");
    source.replaceAll(Map.of("a", "10", "d", "4"));

    assertThat(heard).containsExactly(Set.of("a"), Set.of("b", "c"), Set.of("c"),
        Set.of("b", "d"));
    assertThat(source.snapshot()).isEqualTo(Map.of("a", "10", "d", "4"));
    assertThat(source.get("a")).contains("10");
    assertThat(source.get("b")).isEmpty();
    assertThat(source.name()).isEqualTo("map source");
  }

  @Test
  void aSnapshotNeverChangesAfterwards() {
    MapSource source = MapSource.of(Map.of("a", "1"));
    Map<String, String> before = source.snapshot();

    source.set("a", "2");

    assertThat(before).isEqualTo(Map.of("a", "1"));
    assertThatThrownBy(() -> before.put("b", "3"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthersAndIsLogged() {
    MapSource source = MapSource.of("named", Map.of());
    List<Set<String>> heard = new ArrayList<>();
    source.subscribe(keys -> {
      throw new IllegalStateException("listener bug");
    });
    source.subscribe(heard::add);

    try (LogCapture log = new LogCapture()) {
      source.set("k", "v");

      assertThat(heard).containsExactly(Set.of("k"));
      assertThat(log.warnings()).singleElement().asString()
          .contains("A listener of named failed").contains("[k]");
    }
  }

  @Test
  void closingASubscriptionRemovesJustThatOne() {
    MapSource source = MapSource.create();
    List<Set<String>> heard = new ArrayList<>();
    Subscription first = source.subscribe(heard::add);
    source.subscribe(heard::add);

    first.close();
    first.close();
    source.set("k", "v");

    assertThat(heard).hasSize(1);
    assertThat(source.listenerCount()).isEqualTo(1);
  }

  @Test
  void nullsAreRefusedWithTheirKey() {
    Map<String, String> withNull = new HashMap<>();
    withNull.put("k", null);
    assertThatThrownBy(() -> MapSource.of(withNull)).hasMessageContaining("'k'");
    assertThatThrownBy(() -> MapSource.create().set("k", null)).hasMessageContaining("value");
  }

  @Test
  void aStaticSourceNeedsNoSubscription() {
    PropertySource fixed = new PropertySource() {
      @Override
      public String name() {
        return "fixed";
      }

      @Override
      public java.util.Optional<String> get(String key) {
        return java.util.Optional.empty();
      }

      @Override
      public Map<String, String> snapshot() {
        return Map.of();
      }
    };
    assertThat(fixed.subscribe(keys -> { })).isSameAs(Subscription.NONE);
  }

  @Test
  void systemPropertiesAreFilteredToOurNamespaces() {
    SystemPropertiesSource source = SystemPropertiesSource.create();
    try {
      System.setProperty("breakwater.test.only", "1");
      System.setProperty("unrelated.test.only", "2");

      assertThat(source.snapshot()).containsEntry("breakwater.test.only", "1")
          .doesNotContainKey("unrelated.test.only");
      assertThat(source.refresh()).containsExactly("breakwater.test.only");
      assertThat(source.name()).isEqualTo("system properties");
    } finally {
      System.clearProperty("breakwater.test.only");
      System.clearProperty("unrelated.test.only");
    }
  }
}
