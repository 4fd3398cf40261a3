package io.breakwater.context;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.Fallback;
import io.breakwater.Isolation;
import io.breakwater.event.EventType;
import io.breakwater.event.ExecutionRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestLogTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  @Test
  void logsWhatRanInTheRequestWithEventsAndLatency() {
    runtime.configureDefault(CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    try (RequestContext ctx = RequestContext.open()) {
      runtime.execute("A", () -> "a", Fallback.of("x"));
      runtime.execute("B", () -> {
        throw new IllegalStateException("down");
      }, Fallback.of("fallback"));
      runtime.execute("A", () -> "a", Fallback.of("x"));

      assertThat(ctx.log().executions()).extracting(ExecutionRecord::commandName)
          .containsExactly("A", "B", "A");
      assertThat(ctx.log().executions().get(1).events())
          .containsExactlyInAnyOrder(EventType.FAILURE, EventType.FALLBACK_SUCCESS);
      assertThat(ctx.log().executions().get(0).totalNanos()).isNotNegative();
      assertThat(ctx.log().summary())
          .matches("A\\[SUCCESS]\\[\\d+ms]x2, B\\[FAILURE, FALLBACK_SUCCESS]\\[\\d+ms]"
              + "|A\\[SUCCESS]\\[\\d+ms], B\\[FAILURE, FALLBACK_SUCCESS]\\[\\d+ms], "
              + "A\\[SUCCESS]\\[\\d+ms]");
    }
  }

  @Test
  void keepsAtMostAThousandExecutions() {
    runtime.configureDefault(CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    try (RequestContext ctx = RequestContext.open()) {
      for (int i = 0; i < 1005; i++) {
        runtime.execute("Many", () -> "x", Fallback.of("y"));
      }
      assertThat(ctx.log().executions()).hasSize(RequestLog.MAX_ENTRIES);
      assertThat(ctx.log().dropped()).isEqualTo(5);
    }
  }

  @Test
  void threadIsolatedExecutionsAreLoggedToo() {
    try (RequestContext ctx = RequestContext.open()) {
      runtime.execute("Pooled", () -> "x", Fallback.of("y"));
      assertThat(ctx.log().executions()).hasSize(1);
    }
  }

  @Test
  void disabledLogRecordsNothing() {
    runtime.configure("Quiet", CommandConfig.builder().requestLogEnabled(false)
        .isolation(Isolation.SEMAPHORE).build());
    try (RequestContext ctx = RequestContext.open()) {
      runtime.execute("Quiet", () -> "x", Fallback.of("y"));
      assertThat(ctx.log().executions()).isEmpty();
    }
  }
}
