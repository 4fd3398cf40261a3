package io.breakwater.grpc;

import java.util.concurrent.TimeoutException;

/**
 * The cause a timed-out command cancels its call on the wire with. The instance balancer reads
 * it from the closed stream's status: a call cancelled because the instance did not answer in
 * time is that instance's failure, one the caller cancelled is not.
 */
final class CommandTimeout extends TimeoutException {

  private static final long serialVersionUID = 1L;

  CommandTimeout(String message) {
    super(message);
  }
}
