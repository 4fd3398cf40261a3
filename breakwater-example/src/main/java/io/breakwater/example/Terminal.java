package io.breakwater.example;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * What a command runs with: where it prints, the environment it reads, and the signal that ends
 * a long-running command (Ctrl-C in a real terminal, a test's latch in process).
 */
record Terminal(PrintStream out, PrintStream err, Function<String, String> environment,
    CountDownLatch stop) {}
