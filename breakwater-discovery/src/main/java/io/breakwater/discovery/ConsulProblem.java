package io.breakwater.discovery;

/**
 * Why one exchange with Consul gave no usable answer. The kind groups problems for logging (one
 * WARN per kind until the next success), the detail says what exactly happened.
 */
final class ConsulProblem extends Exception {

  private static final long serialVersionUID = 1L;

  /** What went wrong, in the words a WARN uses. */
  enum Kind {
    UNREACHABLE("unreachable"),
    TIMEOUT("timed out"),
    HTTP_ERROR("error status"),
    MALFORMED_JSON("malformed JSON"),
    UNEXPECTED_SHAPE("unexpected JSON shape"),
    INVALID_INSTANCE("invalid instance"),
    TOO_LARGE("response too large"),
    MISSING_INDEX("missing or bad X-Consul-Index");

    private final String words;

    Kind(String words) {
      this.words = words;
    }

    String words() {
      return words;
    }
  }

  private final Kind kind;
  private final int status;
  private final String body;

  ConsulProblem(Kind kind, String detail) {
    this(kind, 0, null, detail, null);
  }

  ConsulProblem(Kind kind, String detail, Throwable cause) {
    this(kind, 0, null, detail, cause);
  }

  private ConsulProblem(Kind kind, int status, String body, String detail, Throwable cause) {
    super(detail, cause);
    this.kind = kind;
    this.status = status;
    this.body = body;
  }

  /** A non-2xx answer; the detail carries the server's own text. */
  static ConsulProblem status(String request, int status, String body) {
    String text = body == null || body.isBlank() ? "(empty body)" : body.strip();
    return new ConsulProblem(Kind.HTTP_ERROR, status, body,
        "Consul answered " + status + " to " + request + ": " + text, null);
  }

  Kind kind() {
    return kind;
  }

  /** The HTTP status of an error answer, 0 for other kinds. */
  int status() {
    return status;
  }

  /** The body of an error answer, null for other kinds. */
  String body() {
    return body;
  }

  /** The key under which repeated problems are logged once: the kind, plus the status. */
  String logKey() {
    return kind == Kind.HTTP_ERROR ? kind.name() + " " + status : kind.name();
  }

  ConsulException toException() {
    return new ConsulException(getMessage(), status, body, this);
  }
}
