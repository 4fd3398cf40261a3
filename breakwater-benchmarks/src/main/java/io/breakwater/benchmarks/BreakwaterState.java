package io.breakwater.benchmarks;

import io.breakwater.BreakwaterRuntime;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Breakwater in one benchmark: a fresh runtime per trial with the scenario's command configured
 * by the subclass (the JMH state of each scenario), closed after the trial.
 */
public abstract class BreakwaterState {

  final Dependency dependency = new Dependency();
  BreakwaterRuntime runtime;

  /** Configures the scenario's command (and pool) on {@link #runtime}. */
  abstract void configure();

  @Setup(Level.Trial)
  public void setUp() {
    runtime = BreakwaterRuntime.create();
    configure();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    runtime.close();
  }
}
