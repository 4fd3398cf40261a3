package io.breakwater.discovery;

/**
 * Consul refused a request or could not be asked. The message carries Consul's own text, for
 * example {@code Consul answered 403 to PUT /v1/agent/service/register: Permission denied: ...}.
 */
public final class ConsulException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String body;

  ConsulException(String message, int status, String body, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.body = body;
  }

  /** The HTTP status Consul answered, or 0 when there was no answer (network, timeout). */
  public int status() {
    return status;
  }

  /** Consul's error text as sent, or null when there was no answer. */
  public String body() {
    return body;
  }
}
