package io.breakwater.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance as the balancer sees it: its subchannel, the calls outstanding on it, its run of
 * failures and its ejection. Each stream picked for it gets a tracer that counts the stream as
 * outstanding until it closes and reports the close status to the {@link Outliers}.
 */
final class Instance {

  final EquivalentAddressGroup key;
  final SocketAddress address;
  final Subchannel subchannel;
  final ClientStreamTracer.Factory tracers;
  final AtomicInteger outstanding = new AtomicInteger();
  final AtomicInteger consecutiveFailures = new AtomicInteger();

  // Written under the lock of Outliers; volatile so that pickers read them without it.
  volatile boolean ejected;
  volatile long ejectedUntilNanos;
  // Guarded by the lock of Outliers.
  int ejectionCount;
  long returnedAtNanos;
  boolean removed;

  // Touched only in the channel's synchronization context.
  ConnectivityState state = ConnectivityState.CONNECTING;

  Instance(EquivalentAddressGroup key, Subchannel subchannel, Outliers outliers) {
    this.key = key;
    this.address = key.getAddresses().get(0);
    this.subchannel = subchannel;
    this.tracers = new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(
          ClientStreamTracer.StreamInfo info, Metadata headers) {
        outstanding.incrementAndGet();
        return new Tracer(outliers, info.getCallOptions().getOption(TimeoutMark.KEY));
      }
    };
  }

  @Override
  public String toString() {
    return address.toString();
  }

  private final class Tracer extends ClientStreamTracer {
    private final Outliers outliers;
    private final TimeoutMark timeoutMark;
    private final AtomicBoolean closed = new AtomicBoolean();

    Tracer(Outliers outliers, TimeoutMark timeoutMark) {
      this.outliers = outliers;
      this.timeoutMark = timeoutMark;
    }

    @Override
    public void streamClosed(Status status) {
      if (closed.compareAndSet(false, true)) {
        outstanding.decrementAndGet();
        outliers.record(Instance.this,
            InstanceOutcome.of(status, timeoutMark != null && timeoutMark.isSet()));
      }
    }
  }
}
