package io.breakwater;

/** How a command's executions are bounded and where they run. */
public enum Isolation {
  /**
   * On the caller's thread, bounded by a per-command semaphore. Cheapest; a timeout can interrupt
   * the caller's thread but the caller only returns once {@code run} does.
   */
  SEMAPHORE,
  /**
   * On a bounded thread pool shared by the commands with the same pool key. The caller gets its
   * answer at the timeout even if {@code run} keeps going.
   */
  THREAD,
  /**
   * On a new virtual thread per execution, bounded by the per-command semaphore. Needs Java 21
   * or newer; refused with a clear error on older runtimes.
   */
  VIRTUAL
}
