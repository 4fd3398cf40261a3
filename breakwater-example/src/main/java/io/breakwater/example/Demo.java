package io.breakwater.example;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.circuit.CircuitState;
import io.breakwater.circuit.CircuitTransition;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.event.CommandListener;
import io.breakwater.event.EventType;
import io.breakwater.grpc.BalancerListener;
import io.breakwater.grpc.BalancingPolicy;
import io.breakwater.grpc.Ejection;
import io.breakwater.grpc.InstanceBalancerProvider;
import io.breakwater.grpc.ServiceRunner;
import io.breakwater.metrics.CommandSnapshot;
import io.grpc.LoadBalancerRegistry;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo: a registry, example.service and a client in one process, all on 127.0.0.1, then a
 * fault scenario at a steady rate through four phases (healthy, failing, hanging, healed) with
 * one line of figures a second.
 *
 * <p>Calls are issued by a scheduler thread without waiting for answers, so a hanging server
 * cannot slow the rate down; the main thread only keeps time, switches phases and prints. The
 * figures of each line are differences over that second: the client's from the command's
 * cumulative counts, the server's from its own count of calls that reached it.
 *
 * <p>With {@code --instances N} the faults hit the first instance only: the balancer ejects it
 * (printed as it happens) and the circuit, seeing only the few failures that got it ejected,
 * stays closed. With {@code --serve} the dashboard runs from the start and the demo keeps
 * calling, healthy, after the scenario until stopped.
 */
final class Demo {

  private enum Phase {
    HEALTHY("healthy"), FAILING("failing"), HANGING("hanging"), HEALED("healed");

    final String label;

    Phase(String label) {
      this.label = label;
    }

    void applyTo(ExampleServer server) {
      server.heal();
      if (this == FAILING) {
        server.failEveryCall(true);
      } else if (this == HANGING) {
        server.hang(true);
      }
    }
  }

  private static final String HEADER_FORMAT =
      "%5s  %-8s %6s %6s %6s %8s %8s %7s %9s  %-9s %7s%n";
  private static final String ROW_FORMAT =
      "%4ds  %-8s %6d %6d %6d %8d %8d %7d %9d  %-9s %7d%n";
  private static final String LATE_FORMAT =
      "%5s  %-8s %6d %6d %6d %8d %8d %7d %9d  %-9s %7d%n";

  private static final AtomicInteger DEMOS = new AtomicInteger();

  private final DemoOptions options;
  private final PrintStream out;
  private final CountDownLatch stop;
  private final AtomicLong issued = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();

  Demo(DemoOptions options, PrintStream out, CountDownLatch stop) {
    this.options = options;
    this.out = out;
    this.stop = stop;
  }

  void run() throws InterruptedException {
    List<ExampleServer> servers = new ArrayList<>();
    List<ServiceRunner> runners = new ArrayList<>();
    InstanceBalancerProvider balancer =
        InstanceBalancerProvider.builder(BalancingPolicy.POWER_OF_TWO_CHOICES)
            .policyName("breakwater_p2c_demo_" + DEMOS.incrementAndGet())
            .listener(new EjectionPrinter())
            .build();
    LoadBalancerRegistry.getDefaultRegistry().register(balancer);
    try (EmbeddedRegistry registry = EmbeddedRegistry.create();
        BreakwaterRuntime runtime = BreakwaterRuntime.create()) {
      try {
        for (int i = 0; i < options.instances(); i++) {
          ExampleServer server = new ExampleServer();
          servers.add(server);
          runners.add(ServiceRunner.builder(ExampleClient.SERVICE)
              .registry(registry)
              .addService(server)
              .shutdownTimeout(Duration.ofSeconds(1))
              .start());
        }
        try (ExampleClient client = ExampleClient.builder(registry, runtime)
                .balancingPolicy(balancer.getPolicyName()).build();
            Dashboard dashboard =
                options.serve() ? Dashboard.start(runtime, options.port()) : null) {
          run(servers, runners, runtime, client, dashboard);
        }
      } finally {
        for (ServiceRunner runner : runners) {
          runner.close();
        }
      }
    } finally {
      LoadBalancerRegistry.getDefaultRegistry().deregister(balancer);
    }
  }

  private void run(List<ExampleServer> servers, List<ServiceRunner> runners,
      BreakwaterRuntime runtime, ExampleClient client, Dashboard dashboard)
      throws InterruptedException {
    out.println("Breakwater demo: everything below runs in this process on 127.0.0.1");
    for (ServiceRunner runner : runners) {
      out.println("Registry: embedded; " + ExampleClient.SERVICE + " registered as "
          + runner.instance().id() + " at " + runner.instance().authority());
    }
    out.println("Client: breakwater://" + ExampleClient.SERVICE + " through command "
        + ExampleClient.COMMAND + (runners.size() > 1 ? ", balanced by "
        + BalancingPolicy.POWER_OF_TWO_CHOICES.policyName() + " with outlier ejection" : ""));
    if (dashboard != null) {
      out.println("Dashboard: " + dashboard.uri() + " (stream at " + dashboard.uri()
          + "hystrix.stream, Prometheus text at " + dashboard.uri() + "metrics)");
    }
    // A cold JVM may need more than the command's 1000 ms for its first connection.
    client.awaitReady(Duration.ofSeconds(10));
    out.println("Response: " + client.call("World").getMsg());
    out.println();
    runtime.addListener(new TransitionPrinter());
    faultScenario(servers, runtime, client);
    if (dashboard != null) {
      keepServing(servers.get(0), client, dashboard);
    }
  }

  /** After the scenario: healthy traffic at the same rate until stopped, for the dashboard. */
  private void keepServing(ExampleServer server, ExampleClient client, Dashboard dashboard)
      throws InterruptedException {
    server.heal();
    out.println();
    out.println("Dashboard: " + dashboard.uri() + " - still serving, " + options.rate()
        + " healthy calls/s; Ctrl-C to stop");
    out.flush();
    ScheduledExecutorService driver = driver();
    try {
      driver.scheduleAtFixedRate(() -> issue(client), 0, 1_000_000_000L / options.rate(),
          TimeUnit.NANOSECONDS);
      stop.await();
    } finally {
      driver.shutdownNow();
      driver.awaitTermination(5, TimeUnit.SECONDS);
    }
    out.println("Demo stopped");
  }

  private static ScheduledExecutorService driver() {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "breakwater-demo-driver");
      t.setDaemon(true);
      return t;
    });
  }

  private void faultScenario(List<ExampleServer> servers, BreakwaterRuntime runtime,
      ExampleClient client) throws InterruptedException {
    ExampleServer server = servers.get(0);
    int seconds = options.durationSeconds();
    out.printf("Fault scenario: %d calls/s for %d s, phases healthy -> failing -> hanging -> "
        + "healed%n", options.rate(), seconds);
    if (servers.size() > 1) {
      out.printf("The faults hit the first of the %d instances; the others stay healthy. The "
          + "server column counts the calls reaching any of them.%n", servers.size());
    }
    out.printf("%s: timeout %d ms, max concurrent %d, error threshold %d %%, volume threshold "
        + "%d, sleep window %d ms, rolling window %d ms%n%n", ExampleClient.COMMAND,
        ExampleClient.TIMEOUT_MILLIS, ExampleClient.MAX_CONCURRENT_REQUESTS,
        ExampleClient.ERROR_THRESHOLD_PERCENTAGE, ExampleClient.REQUEST_VOLUME_THRESHOLD,
        ExampleClient.SLEEP_WINDOW_MILLIS, ExampleClient.ROLLING_WINDOW_MILLIS);
    out.printf(HEADER_FORMAT, "time", "phase", "calls", "ok", "failed", "timeouts",
        "rejected", "short", "fallbacks", "circuit", "server");

    Figures start = Figures.of(runtime.snapshot(ExampleClient.COMMAND), issued.get(),
        received(servers));
    Figures previous = start;
    Phase phase = Phase.HEALTHY;
    phase.applyTo(server);
    ScheduledExecutorService driver = driver();
    long begin = System.nanoTime();
    try {
      driver.scheduleAtFixedRate(() -> issue(client), 0, 1_000_000_000L / options.rate(),
          TimeUnit.NANOSECONDS);
      for (int second = 1; second <= seconds; second++) {
        sleepUntil(begin + second * 1_000_000_000L);
        CommandSnapshot snapshot = runtime.snapshot(ExampleClient.COMMAND);
        Figures now = Figures.of(snapshot, issued.get(), received(servers));
        Figures d = now.minus(previous);
        out.printf(ROW_FORMAT, second, phase.label, d.calls, d.successes, d.failures,
            d.timeouts, d.rejections, d.shortCircuits, d.fallbacks,
            snapshot.circuitState(), d.serverCalls);
        previous = now;
        Phase next = phaseAt(second, seconds);
        if (next != phase) {
          phase = next;
          phase.applyTo(server);
        }
      }
    } finally {
      driver.shutdownNow();
      driver.awaitTermination(5, TimeUnit.SECONDS);
    }
    // Calls still out are answered within the timeout, by the server or the fallback.
    long deadline = System.nanoTime() + (ExampleClient.TIMEOUT_MILLIS + 1500) * 1_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    CommandSnapshot last = runtime.snapshot(ExampleClient.COMMAND);
    Figures end = Figures.of(last, issued.get(), received(servers));
    Figures late = end.minus(previous);
    if (late.answers() > 0 || late.serverCalls > 0) {
      // Calls of the last second answered after it: a row of their own, so columns add up.
      out.printf(LATE_FORMAT, "late", "", late.calls, late.successes, late.failures,
          late.timeouts, late.rejections, late.shortCircuits, late.fallbacks,
          last.circuitState(), late.serverCalls);
    }
    printSummary(end.minus(start), last.circuitState(), seconds, servers.size());
  }

  private static long received(List<ExampleServer> servers) {
    long sum = 0;
    for (ExampleServer s : servers) {
      sum += s.callsReceived();
    }
    return sum;
  }

  private void issue(ExampleClient client) {
    issued.incrementAndGet();
    inFlight.incrementAndGet();
    client.callAsync("World").whenComplete((response, error) -> inFlight.decrementAndGet());
  }

  /** The phase that runs after {@code second} of {@code total}: four equal quarters. */
  private static Phase phaseAt(int second, int total) {
    int quarter = Math.min(3, second * 4 / total);
    return Phase.values()[quarter];
  }

  private void printSummary(Figures f, CircuitState state, int seconds, int instances) {
    long answeredByServer = f.successes;
    out.println();
    out.printf("Summary: %d calls in %d s; %d answered by %s, %d by the fallback "
        + "(%d failed, %d timed out, %d rejected, %d short-circuited)%n", f.calls, seconds,
        answeredByServer, ExampleClient.SERVICE, f.fallbacks, f.failures, f.timeouts,
        f.rejections, f.shortCircuits);
    out.printf("The %s saw %d of the %d calls; the circuit opened %d time(s), closed %d "
        + "time(s), and is %s%n", instances == 1 ? "server" : instances + " instances",
        f.serverCalls, f.calls, opened.get(), closed.get(), state);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** Prints circuit transitions as they happen, between the lines of figures. */
  private final class TransitionPrinter implements CommandListener {
    @Override
    public void onCircuitTransition(CircuitTransition t) {
      if (t.from() == CircuitState.CLOSED && t.to() == CircuitState.OPEN) {
        opened.incrementAndGet();
      } else if (t.to() == CircuitState.CLOSED) {
        closed.incrementAndGet();
      }
      out.printf("       circuit %s -> %s: %s%n", t.from(), t.to(), t.reason());
    }
  }

  /** Prints the balancer's ejections as they happen, between the lines of figures. */
  private final class EjectionPrinter implements BalancerListener {
    @Override
    public void onEjected(Ejection e) {
      out.printf("       instance %s ejected for %d s after %d failures in a row%n",
          authority(e.address()), e.duration().toSeconds(), e.consecutiveFailures());
    }

    @Override
    public void onReturned(SocketAddress address) {
      out.printf("       instance %s back in rotation%n", authority(address));
    }

    private String authority(SocketAddress address) {
      if (address instanceof InetSocketAddress) {
        InetSocketAddress a = (InetSocketAddress) address;
        return a.getHostString() + ":" + a.getPort();
      }
      return String.valueOf(address);
    }
  }

  /** Counts at one moment; differences of two are the figures of a line. */
  private static final class Figures {
    long calls;
    long successes;
    long failures;
    long timeouts;
    long rejections;
    long shortCircuits;
    long fallbacks;
    long serverCalls;

    static Figures of(CommandSnapshot s, long calls, long serverCalls) {
      Figures f = new Figures();
      f.calls = calls;
      f.successes = s.cumulativeCount(EventType.SUCCESS);
      f.failures = s.cumulativeCount(EventType.FAILURE);
      f.timeouts = s.cumulativeCount(EventType.TIMEOUT);
      f.rejections = s.cumulativeCount(EventType.SEMAPHORE_REJECTED)
          + s.cumulativeCount(EventType.THREAD_POOL_REJECTED);
      f.shortCircuits = s.cumulativeCount(EventType.SHORT_CIRCUITED);
      f.fallbacks = s.cumulativeCount(EventType.FALLBACK_SUCCESS);
      f.serverCalls = serverCalls;
      return f;
    }

    /** How many events these figures hold besides the calls issued. */
    long answers() {
      return successes + failures + timeouts + rejections + shortCircuits + fallbacks;
    }

    Figures minus(Figures o) {
      Figures d = new Figures();
      d.calls = calls - o.calls;
      d.successes = successes - o.successes;
      d.failures = failures - o.failures;
      d.timeouts = timeouts - o.timeouts;
      d.rejections = rejections - o.rejections;
      d.shortCircuits = shortCircuits - o.shortCircuits;
      d.fallbacks = fallbacks - o.fallbacks;
      d.serverCalls = serverCalls - o.serverCalls;
      return d;
    }
  }
}
