package io.breakwater.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the figures of several hosts merge into one message. */
class FleetMergeTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode json(String s) throws Exception {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void countsAndPercentilesAreSummedSettingsAreSharedAndStatesTallied() throws Exception {
    ObjectNode a = json("{'type':'HystrixCommand','name':'c','group':'g','currentTime':10,"
        + "'isCircuitBreakerOpen':true,'errorPercentage':60,'requestCount':10,"
        + "'latencyExecute':{'50':10,'99':40},'latencyExecute_mean':12,"
        + "'propertyValue_metricsRollingStatisticalWindowInMilliseconds':10000,"
        + "'propertyValue_executionIsolationThreadPoolKeyOverride':null,"
        + "'propertyValue_circuitBreakerForceOpen':false,'circuitState':'OPEN',"
        + "'reportingHosts':1}");
    ObjectNode b = json("{'type':'HystrixCommand','name':'c','group':'g','currentTime':30,"
        + "'isCircuitBreakerOpen':false,'errorPercentage':20,'requestCount':5,"
        + "'latencyExecute':{'50':20,'99':60},'latencyExecute_mean':18,"
        + "'propertyValue_metricsRollingStatisticalWindowInMilliseconds':10000,"
        + "'propertyValue_executionIsolationThreadPoolKeyOverride':null,"
        + "'propertyValue_circuitBreakerForceOpen':false,'circuitState':'CLOSED',"
        + "'reportingHosts':1}");

    JsonNode m = FleetMerge.merge(List.of(a, b));

    assertThat(m.get("reportingHosts").asInt()).isEqualTo(2);
    assertThat(m.get("currentTime").asLong()).isEqualTo(30);
    assertThat(m.get("requestCount").asLong()).isEqualTo(15);
    assertThat(m.get("errorPercentage").asInt()).isEqualTo(80);
    assertThat(m.get("latencyExecute_mean").asInt()).isEqualTo(30);
    assertThat(m.get("latencyExecute").get("50").asInt()).isEqualTo(30);
    assertThat(m.get("latencyExecute").get("99").asInt()).isEqualTo(100);
    assertThat(m.get("propertyValue_metricsRollingStatisticalWindowInMilliseconds").asInt())
        .isEqualTo(10_000);
    assertThat(m.get("propertyValue_executionIsolationThreadPoolKeyOverride").isNull()).isTrue();
    assertThat(m.get("propertyValue_circuitBreakerForceOpen").asBoolean()).isFalse();
    assertThat(m.get("isCircuitBreakerOpen").asText()).isEqualTo("{false:1,true:1}");
    assertThat(m.get("circuitState").asText()).isEqualTo("{CLOSED:1,OPEN:1}");
    assertThat(m.get("circuitOpenHosts").asInt()).isEqualTo(1);
    assertThat(m.get("group").asText()).isEqualTo("g");
  }

  @Test
  void theThreadPoolWindowIsSummedBecauseTheDashboardDividesIt() throws Exception {
    ObjectNode a = json("{'type':'HystrixThreadPool','name':'p','currentActiveCount':2,"
        + "'propertyValue_queueSizeRejectionThreshold':5,"
        + "'propertyValue_metricsRollingStatisticalWindowInMilliseconds':10000,"
        + "'reportingHosts':1}");
    ObjectNode b = a.deepCopy().put("currentActiveCount", 3);

    JsonNode m = FleetMerge.merge(List.of(a, b));

    assertThat(m.get("currentActiveCount").asInt()).isEqualTo(5);
    assertThat(m.get("propertyValue_queueSizeRejectionThreshold").asInt()).isEqualTo(5);
    assertThat(m.get("propertyValue_metricsRollingStatisticalWindowInMilliseconds").asInt())
        .isEqualTo(20_000);
    assertThat(m.has("circuitOpenHosts")).isFalse();
  }

  @Test
  void aSingleHostPassesThroughUnchanged() throws Exception {
    ObjectNode a = json("{'type':'HystrixCommand','name':'c','isCircuitBreakerOpen':true,"
        + "'errorPercentage':60,'reportingHosts':1}");
    JsonNode m = FleetMerge.merge(List.of(a));
    assertThat(m.get("isCircuitBreakerOpen").asBoolean()).isTrue();
    assertThat(m.get("errorPercentage").asInt()).isEqualTo(60);
    assertThat(m.get("circuitOpenHosts").asInt()).isEqualTo(1);
  }
}
