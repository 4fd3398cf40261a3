package io.breakwater.example;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.micrometer.BreakwaterMetrics;
import io.breakwater.stream.BreakwaterServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;

/**
 * The demo's window on its runtime, on 127.0.0.1: the dashboard page at {@code /}, the Hystrix
 * stream at {@code /hystrix.stream} and the runtime's Micrometer meters as Prometheus text at
 * {@code /metrics}.
 */
final class Dashboard implements AutoCloseable {

  private final PrometheusMeterRegistry prometheus;
  private final BreakwaterMetrics metrics;
  private final BreakwaterServer server;

  private Dashboard(BreakwaterRuntime runtime, int port) {
    this.prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.metrics = BreakwaterMetrics.of(runtime);
    metrics.bindTo(prometheus);
    BreakwaterServer started;
    try {
      started = BreakwaterServer.builder()
          .runtime(runtime)
          .port(port)
          .title("Breakwater demo")
          .metrics(prometheus::scrape)
          .start();
    } catch (RuntimeException e) {
      metrics.close();
      prometheus.close();
      throw e;
    }
    this.server = started;
  }

  static Dashboard start(BreakwaterRuntime runtime, int port) {
    return new Dashboard(runtime, port);
  }

  URI uri() {
    return server.uri();
  }

  @Override
  public void close() {
    server.close();
    metrics.close();
    prometheus.close();
  }
}
