package io.breakwater.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.discovery.DevRegistryServer;
import io.breakwater.discovery.EmbeddedRegistry;
import io.breakwater.discovery.ServiceInstance;
import io.breakwater.example.ExampleServer;
import io.breakwater.grpc.ServiceRunner;
import io.breakwater.stream.BreakwaterServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Security defaults: every server Breakwater starts listens on 127.0.0.1 unless told
 * otherwise, and the aggregator reads only instances the registry lists: no request can make
 * it connect to an address the request names (the Hystrix Dashboard's open proxy is not
 * reproduced).
 */
class SecurityTest {

  private static final String TOKEN = "resilience-token-0123456789";

  @Test
  void everyServerBindsLoopbackByDefault() throws Exception {
    try (DevRegistryServer dev = DevRegistryServer.builder().start();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        EmbeddedRegistry registry = EmbeddedRegistry.create()) {
      BreakwaterServer stream = BreakwaterServer.builder().runtime(runtime).port(0).start();
      ServiceRunner runner = ServiceRunner.builder("bind.check").registry(registry)
          .addService(new ExampleServer()).start();
      try {
        Map<String, InetSocketAddress> bound = new LinkedHashMap<>();
        bound.put("DevRegistryServer", new InetSocketAddress(dev.uri().getHost(), dev.port()));
        bound.put("BreakwaterServer", stream.address());
        bound.put("ServiceRunner", runner.boundAddress());
        System.out.println("[figures] security: default bind addresses " + bound
            + "; registered instance " + runner.instance().authority());
        bound.forEach((server, address) -> {
          assertThat(address.getAddress().getHostAddress()).as(server).isEqualTo("127.0.0.1");
          assertThat(address.getAddress().isLoopbackAddress()).as(server).isTrue();
        });
        assertThat(dev.uri().toString()).startsWith("http://127.0.0.1:");
        assertThat(stream.uri().toString()).startsWith("http://127.0.0.1:");
        assertThat(runner.instance().address()).isEqualTo("127.0.0.1");
      } finally {
        runner.close();
        stream.close();
      }
    }
  }

  @Test
  void theAggregatorNeverConnectsToAnAddressARequestNames() throws Exception {
    try (ServerSocket bait = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        BreakwaterRuntime upstreamRuntime = BreakwaterRuntime.create();
        BreakwaterRuntime runtime = BreakwaterRuntime.create();
        EmbeddedRegistry registry = EmbeddedRegistry.create()) {
      AtomicInteger baited = new AtomicInteger();
      Thread acceptor = new Thread(() -> {
        while (!bait.isClosed()) {
          try (Socket s = bait.accept()) {
            baited.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      }, "bait");
      acceptor.setDaemon(true);
      acceptor.start();
      int baitPort = bait.getLocalPort();

      // A legitimate instance, listed in the registry, with a command of its own.
      upstreamRuntime.execute("upstream-command", () -> "x");
      BreakwaterServer upstream = BreakwaterServer.builder().runtime(upstreamRuntime).port(0)
          .bearerToken(TOKEN).start();
      registry.register(ServiceInstance.of("fleet-1", "fleet", "127.0.0.1", upstream.port()));
      BreakwaterServer aggregator = BreakwaterServer.builder().runtime(runtime).port(0)
          .registry(registry).services("fleet").bearerToken(TOKEN).start();
      try {
        String baitAddress = "127.0.0.1:" + baitPort;
        String baitUrl = "http://" + baitAddress + "/hystrix.stream";
        List<String> attempts = List.of(
            "/turbine.stream?service=" + enc(baitAddress),
            "/turbine.stream?service=fleet&instance=" + enc(baitAddress),
            "/turbine.stream?service=" + enc(baitUrl),
            "/turbine.stream?service=fleet&cluster=" + enc(baitUrl),
            "/proxy.stream?origin=" + enc(baitUrl),
            "/hystrix.stream?url=" + enc(baitUrl),
            "/api/sources?service=" + enc(baitAddress));
        Map<String, String> answers = new LinkedHashMap<>();
        for (String path : attempts) {
          answers.put(path, firstAnswer(aggregator.uri().resolve(path), TOKEN));
        }
        // The same through a Host header naming the bait.
        answers.put("Host: " + baitAddress, rawStatus(aggregator.port(), "/hystrix.stream",
            baitAddress));
        // Without the token nothing is served at all.
        String withoutToken = firstAnswer(aggregator.uri().resolve("/turbine.stream?service=fleet"),
            null);
        // The legitimate fleet is read: the aggregator does contact listed instances.
        String fleet = firstAnswer(aggregator.uri().resolve("/turbine.stream?service=fleet"),
            TOKEN, "upstream-command");
        Thread.sleep(1500);
        System.out.println("[figures] security: requests naming the bait " + baitAddress
            + " answered " + answers + "; without the token: " + withoutToken
            + "; the listed fleet: " + fleet + "; connections the bait received: "
            + baited.get());
        assertThat(baited.get()).as("connections to an address a request named").isZero();
        assertThat(withoutToken).isEqualTo("401");
        assertThat(fleet).isEqualTo("200 with upstream-command");
      } finally {
        aggregator.close();
        upstream.close();
      }
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String firstAnswer(URI uri, String token) throws Exception {
    return firstAnswer(uri, token, null);
  }

  /** The status, and for a stream whether a data line naming {@code expect} came within 5 s. */
  private static String firstAnswer(URI uri, String token, String expect) throws Exception {
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
        .connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest.Builder r = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<java.io.InputStream> response =
          http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader body = new BufferedReader(
          new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        if (expect == null || response.statusCode() != 200) {
          return String.valueOf(response.statusCode());
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        String line;
        while (System.nanoTime() < deadline && (line = body.readLine()) != null) {
          if (line.startsWith("data:") && line.contains(expect)) {
            return "200 with " + expect;
          }
        }
        return "200 without " + expect;
      }
    } catch (java.net.http.HttpTimeoutException e) {
      return "200 (stream open, nothing named)";
    }
  }

  private static String rawStatus(int port, String path, String host) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(3000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host
          + "\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      return status == null ? "closed" : status.split(" ")[1];
    }
  }

}
