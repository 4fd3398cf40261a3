package io.breakwater.internal;

import io.breakwater.circuit.CircuitTransition;
import io.breakwater.event.CommandListener;
import io.breakwater.event.ExecutionRecord;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The listeners of a runtime; calls each in turn and keeps one's failure from the others. */
public final class Listeners {

  private static final Logger log = LoggerFactory.getLogger(Listeners.class);

  private final CopyOnWriteArrayList<CommandListener> all = new CopyOnWriteArrayList<>();

  public void add(CommandListener listener) {
    all.add(listener);
  }

  public boolean remove(CommandListener listener) {
    return all.remove(listener);
  }

  /** Whether anyone listens, so that per-execution records are only built when needed. */
  boolean any() {
    return !all.isEmpty();
  }

  void circuitTransition(CircuitTransition transition) {
    for (CommandListener l : all) {
      try {
        l.onCircuitTransition(transition);
      } catch (RuntimeException | LinkageError e) {
        log.warn("Listener {} threw on a circuit transition of {}; ignored", l,
            transition.commandName(), e);
      }
    }
  }

  void execution(ExecutionRecord record) {
    for (CommandListener l : all) {
      try {
        l.onExecution(record);
      } catch (RuntimeException | LinkageError e) {
        log.warn("Listener {} threw on an execution of {}; ignored", l, record.commandName(), e);
      }
    }
  }
}
