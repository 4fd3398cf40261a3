package io.breakwater.stream;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain requests in tests. */
final class Http {

  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .proxy(HttpClient.Builder.NO_PROXY).followRedirects(HttpClient.Redirect.NEVER).build();

  private Http() {}

  static HttpResponse<String> get(URI uri, String... headers) throws IOException,
      InterruptedException {
    return send(HttpRequest.newBuilder(uri).GET(), headers);
  }

  static HttpResponse<String> send(HttpRequest.Builder r, String... headers)
      throws IOException, InterruptedException {
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(r.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
