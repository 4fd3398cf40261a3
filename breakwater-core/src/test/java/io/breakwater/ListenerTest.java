package io.breakwater;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.circuit.CircuitTransition;
import io.breakwater.event.CommandListener;
import io.breakwater.event.EventType;
import io.breakwater.event.ExecutionRecord;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ListenerTest {

  private final BreakwaterRuntime runtime = BreakwaterRuntime.create();

  @AfterEach
  void tearDown() {
    runtime.close();
  }

  @Test
  void anyNumberOfListenersHearEveryExecutionAndCanBeRemoved() {
    runtime.configureDefault(CommandConfig.builder().isolation(Isolation.SEMAPHORE).build());
    List<ExecutionRecord> first = new CopyOnWriteArrayList<>();
    List<ExecutionRecord> second = new CopyOnWriteArrayList<>();
    CommandListener a = new CommandListener() {
      @Override
      public void onExecution(ExecutionRecord r) {
        first.add(r);
      }
    };
    CommandListener b = new CommandListener() {
      @Override
      public void onExecution(ExecutionRecord r) {
        second.add(r);
      }
    };
    runtime.addListener(a);
    runtime.addListener(b);
    runtime.execute("heard", () -> "x");
    assertThat(runtime.removeListener(a)).isTrue();
    runtime.execute("heard", () -> {
      throw new IllegalStateException("down");
    }, Fallback.of("f"));

    assertThat(first).hasSize(1);
    assertThat(second).hasSize(2);
    assertThat(second.get(1).events())
        .containsExactlyInAnyOrder(EventType.FAILURE, EventType.FALLBACK_SUCCESS);
    assertThat(second.get(1).failure()).hasMessage("down");
  }

  @Test
  void aListenerThatThrowsNeverBreaksACallOrATransition() {
    runtime.configure("robust", CommandConfig.builder().isolation(Isolation.SEMAPHORE)
        .requestVolumeThreshold(1).build());
    List<CircuitTransition> heard = new CopyOnWriteArrayList<>();
    runtime.addListener(new CommandListener() {
      @Override
      public void onExecution(ExecutionRecord r) {
        throw new IllegalStateException("broken listener");
      }

      @Override
      public void onCircuitTransition(CircuitTransition t) {
        throw new IllegalStateException("broken listener");
      }
    });
    runtime.addListener(new CommandListener() {
      @Override
      public void onCircuitTransition(CircuitTransition t) {
        heard.add(t);
      }
    });

    assertThat(runtime.execute("robust", () -> "ok")).isEqualTo("ok");
    assertThat(runtime.execute("robust", () -> {
      throw new IllegalStateException("down");
    }, Fallback.of("fallback"))).isEqualTo("fallback");
    assertThat(heard).hasSize(1);
    assertThat(runtime.snapshot("robust").cumulativeCount(EventType.SUCCESS)).isEqualTo(1);
  }
}
