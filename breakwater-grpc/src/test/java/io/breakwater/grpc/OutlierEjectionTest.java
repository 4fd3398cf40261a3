package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutlierEjectionTest {

  @Test
  void defaultsAreFiveFailuresThirtySecondsTimesCountAtMostFiveMinutesAndHalfTheInstances() {
    OutlierEjection d = OutlierEjection.defaults();

    assertThat(d.consecutiveFailures()).isEqualTo(5);
    assertThat(d.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.maxEjectionPercent()).isEqualTo(50);
    assertThat(d.ejectionTime(1)).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.ejectionTime(3)).isEqualTo(Duration.ofSeconds(90));
    assertThat(d.ejectionTime(10)).isEqualTo(Duration.ofSeconds(300));
    assertThat(d.ejectionTime(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(300));
    assertThat(d.enabled()).isTrue();
    assertThat(OutlierEjection.disabled().enabled()).isFalse();
  }

  @Test
  void theLimitRoundsDownAndAlwaysKeepsOneInstance() {
    OutlierEjection half = OutlierEjection.defaults();
    assertThat(half.maxEjected(1)).isZero();
    assertThat(half.maxEjected(2)).isEqualTo(1);
    assertThat(half.maxEjected(3)).isEqualTo(1);
    assertThat(half.maxEjected(4)).isEqualTo(2);
    assertThat(half.maxEjected(5)).isEqualTo(2);

    OutlierEjection all = OutlierEjection.builder().maxEjectionPercent(100).build();
    assertThat(all.maxEjected(3)).isEqualTo(2);
    assertThat(all.maxEjected(1)).isZero();
    OutlierEjection tenth = OutlierEjection.builder().maxEjectionPercent(10).build();
    assertThat(tenth.maxEjected(9)).isZero();
    assertThat(tenth.maxEjected(10)).isEqualTo(1);
  }

  @Test
  void serviceConfigRoundTripsAndMissingKeysKeepDefaults() {
    OutlierEjection custom = OutlierEjection.builder().consecutiveFailures(3)
        .baseEjectionTime(Duration.ofMillis(1500)).maxEjectionTime(Duration.ofSeconds(10))
        .maxEjectionPercent(34).build();

    Map<String, Object> json = custom.toServiceConfig();

    assertThat(json).containsEntry("consecutiveFailures", 3.0)
        .containsEntry("baseEjectionTime", "1.5s").containsEntry("maxEjectionTime", "10s")
        .containsEntry("maxEjectionPercent", 34.0);
    assertThat(OutlierEjection.fromServiceConfig(json)).isEqualTo(custom);
    assertThat(OutlierEjection.fromServiceConfig(Map.of("consecutiveFailures", 2.0)))
        .isEqualTo(OutlierEjection.builder().consecutiveFailures(2).build());
    assertThat(OutlierEjection.fromServiceConfig(null)).isEqualTo(OutlierEjection.defaults());
  }

  @Test
  void badServiceConfigsNameTheKeyAndValue() {
    assertThatThrownBy(() -> OutlierEjection.fromServiceConfig(Map.of("consecutiveFailure", 3.0)))
        .hasMessageContaining("unknown key 'consecutiveFailure'");
    assertThatThrownBy(() -> OutlierEjection.fromServiceConfig(Map.of("consecutiveFailures", 2.5)))
        .hasMessage("consecutiveFailures must be a whole number, was 2.5");
    assertThatThrownBy(() -> OutlierEjection.fromServiceConfig(
        Map.of("baseEjectionTime", "30")))
        .hasMessageContaining("baseEjectionTime must be a duration").hasMessageContaining("\"30\"");
    assertThatThrownBy(() -> OutlierEjection.fromServiceConfig(
        Map.of("baseEjectionTime", "-1s")))
        .hasMessageContaining("baseEjectionTime must be a duration");
    assertThatThrownBy(() -> OutlierEjection.fromServiceConfig(
        Map.of("maxEjectionPercent", 101.0)))
        .hasMessage("maxEjectionPercent must be between 0 and 100, was 101");
    assertThatThrownBy(() -> OutlierEjection.builder().baseEjectionTime(Duration.ZERO))
        .hasMessage("baseEjectionTime must be more than zero, was PT0S");
    assertThatThrownBy(() -> OutlierEjection.builder().consecutiveFailures(-1))
        .hasMessage("consecutiveFailures must be 0 (off) or more, was -1");
  }

  @Test
  void theProviderTurnsABadConfigIntoAnErrorNamingThePolicy() {
    ConfigOrError bad = new InstanceBalancerProvider.PowerOfTwoChoices()
        .parseLoadBalancingPolicyConfig(Map.of("maxEjectionPercent", "half"));

    assertThat(bad.getError()).isNotNull();
    assertThat(bad.getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bad.getError().getDescription())
        .isEqualTo("load balancing policy breakwater_p2c: maxEjectionPercent must be a whole "
            + "number, was \"half\"");
    assertThat(new InstanceBalancerProvider.RoundRobin()
        .parseLoadBalancingPolicyConfig(Map.of()).getConfig())
        .isEqualTo(OutlierEjection.defaults());
  }
}
