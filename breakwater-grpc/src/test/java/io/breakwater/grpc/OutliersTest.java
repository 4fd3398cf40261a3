package io.breakwater.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Outlier ejection on a fake clock, fed close statuses directly. */
class OutliersTest {

  private static final Duration BASE = OutlierEjection.DEFAULT_BASE_EJECTION_TIME;

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new AssertionError(e);
  });
  private final Outliers outliers = new Outliers(now::get, sync, new BalancerListener() {
    @Override
    public void onEjected(Ejection e) {
      events.add("ejected " + port(e.address()) + " for " + e.duration().toSeconds() + "s after "
          + e.consecutiveFailures() + " (#" + e.ejectionCount() + ")");
    }

    @Override
    public void onReturned(SocketAddress address) {
      events.add("returned " + port(address));
    }
  }, "test");

  private static int port(SocketAddress address) {
    return ((InetSocketAddress) address).getPort();
  }

  private List<Instance> members(int count) {
    List<Instance> list = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      list.add(new Instance(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", i)),
          null, outliers));
    }
    outliers.members(list);
    return list;
  }

  private void fail(Instance i, int times) {
    for (int n = 0; n < times; n++) {
      outliers.record(i, InstanceOutcome.of(Status.UNAVAILABLE, false));
    }
  }

  private void pass(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private List<Instance> inRotation(List<Instance> ready) {
    return List.of(outliers.inRotation(ready.toArray(new Instance[0])));
  }

  @Test
  void fiveFailuresInARowEjectForThirtySecondsThenTheInstanceComesBack() {
    List<Instance> all = members(3);
    Instance bad = all.get(0);

    fail(bad, 4);
    assertThat(bad.ejected).isFalse();
    fail(bad, 1);

    assertThat(bad.ejected).isTrue();
    assertThat(events).containsExactly("ejected 1 for 30s after 5 (#1)");
    assertThat(inRotation(all)).containsExactly(all.get(1), all.get(2));
    pass(BASE.minusNanos(1));
    assertThat(inRotation(all)).containsExactly(all.get(1), all.get(2));
    pass(Duration.ofNanos(1));
    assertThat(inRotation(all)).containsExactlyElementsOf(all);
    assertThat(bad.ejected).isFalse();
    assertThat(outliers.anyEjected()).isFalse();
    assertThat(events).containsExactly("ejected 1 for 30s after 5 (#1)", "returned 1");
  }

  @Test
  void aHealthyAnswerEndsTheRunAndCallerFaultsAreHealthyAnswers() {
    List<Instance> all = members(3);
    Instance i = all.get(0);

    fail(i, 4);
    outliers.record(i, InstanceOutcome.of(Status.OK, false));
    fail(i, 4);
    outliers.record(i, InstanceOutcome.of(Status.INVALID_ARGUMENT, false));
    fail(i, 4);
    outliers.record(i, InstanceOutcome.of(Status.NOT_FOUND, false));
    outliers.record(i, InstanceOutcome.of(Status.PERMISSION_DENIED, false));
    fail(i, 4);

    assertThat(i.ejected).isFalse();
    assertThat(events).isEmpty();
  }

  @Test
  void aCallerCancelSaysNothingButACommandTimeoutIsAFailure() {
    List<Instance> all = members(3);
    Instance i = all.get(0);

    fail(i, 3);
    outliers.record(i,
        InstanceOutcome.of(Status.CANCELLED.withDescription("caller gave up"), false));
    fail(i, 1);
    assertThat(i.ejected).isFalse();
    outliers.record(i, InstanceOutcome.of(Status.CANCELLED, true));

    assertThat(i.ejected).isTrue();
  }

  @Test
  void everyServerSideFailureCodeCounts() {
    for (Status.Code code : List.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
        Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS,
        Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNIMPLEMENTED)) {
      assertThat(InstanceOutcome.of(Status.fromCode(code), false)).as(code.name())
          .isEqualTo(InstanceOutcome.FAILURE);
    }
    for (Status.Code code : List.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT,
        Status.Code.NOT_FOUND, Status.Code.ALREADY_EXISTS, Status.Code.PERMISSION_DENIED,
        Status.Code.UNAUTHENTICATED, Status.Code.FAILED_PRECONDITION, Status.Code.OUT_OF_RANGE,
        Status.Code.ABORTED)) {
      assertThat(InstanceOutcome.of(Status.fromCode(code), false)).as(code.name())
          .isEqualTo(InstanceOutcome.HEALTHY);
    }
    assertThat(InstanceOutcome.of(Status.CANCELLED, false)).isEqualTo(InstanceOutcome.IGNORED);
    assertThat(InstanceOutcome.of(Status.CANCELLED, true)).isEqualTo(InstanceOutcome.FAILURE);
  }

  @Test
  void neverMoreThanHalfTheInstancesAndNeverTheLastOne() {
    List<Instance> three = members(3);
    fail(three.get(0), 5);
    fail(three.get(1), 50);

    assertThat(three.get(0).ejected).isTrue();
    assertThat(three.get(1).ejected).isFalse();
    assertThat(inRotation(three)).containsExactly(three.get(1), three.get(2));

    // Once the first is back, the second's next failure ejects it.
    pass(BASE);
    assertThat(inRotation(three)).hasSize(3);
    fail(three.get(1), 1);
    assertThat(three.get(1).ejected).isTrue();

    List<Instance> one = members(1);
    fail(one.get(0), 100);
    assertThat(one.get(0).ejected).isFalse();
  }

  @Test
  void anExpiredEjectionNoLongerCountsAgainstTheLimitEvenIfNoPickNoticedIt() {
    List<Instance> two = members(2);
    fail(two.get(0), 5);
    pass(BASE);

    fail(two.get(1), 5);

    assertThat(two.get(0).ejected).isFalse();
    assertThat(two.get(1).ejected).isTrue();
    assertThat(events).containsExactly("ejected 1 for 30s after 5 (#1)", "returned 1",
        "ejected 2 for 30s after 5 (#1)");
  }

  @Test
  void eachEjectionLastsLongerAndAHealthyPeriodDecaysTheCount() {
    List<Instance> all = members(3);
    Instance i = all.get(0);

    fail(i, 5);
    pass(BASE);
    inRotation(all);
    fail(i, 5);
    assertThat(events).last().isEqualTo("ejected 1 for 60s after 5 (#2)");
    pass(BASE);
    assertThat(inRotation(all)).doesNotContain(i);
    pass(BASE);
    assertThat(inRotation(all)).contains(i);
    fail(i, 5);
    assertThat(events).last().isEqualTo("ejected 1 for 90s after 5 (#3)");

    // Back, then two base times without trouble: the count drops by two.
    pass(BASE.multipliedBy(3));
    inRotation(all);
    pass(BASE.multipliedBy(2));
    fail(i, 5);
    assertThat(events).last().isEqualTo("ejected 1 for 60s after 5 (#2)");

    // A long healthy spell forgets every ejection.
    pass(BASE.multipliedBy(2));
    inRotation(all);
    pass(Duration.ofHours(1));
    fail(i, 5);
    assertThat(events).last().isEqualTo("ejected 1 for 30s after 5 (#1)");
  }

  @Test
  void whenEveryReadyInstanceIsEjectedTheyAreAllTriedRatherThanNone() {
    List<Instance> all = members(3);
    fail(all.get(0), 5);

    assertThat(inRotation(List.of(all.get(0)))).containsExactly(all.get(0));
  }

  @Test
  void aRemovedInstanceIsForgottenAndDisablingEjectionReturnsEveryone() {
    List<Instance> all = members(3);
    fail(all.get(0), 5);
    assertThat(outliers.anyEjected()).isTrue();

    outliers.members(all.subList(1, 3));
    assertThat(outliers.anyEjected()).isFalse();
    fail(all.get(0), 5);
    assertThat(all.get(0).ejected).isFalse();

    fail(all.get(1), 5);
    assertThat(all.get(1).ejected).isTrue();
    outliers.configure(OutlierEjection.disabled());
    assertThat(all.get(1).ejected).isFalse();
    assertThat(events).last().isEqualTo("returned 2");
    fail(all.get(2), 50);
    assertThat(all.get(2).ejected).isFalse();
  }

  @Test
  void theTracerCountsAStreamOutstandingUntilItClosesOnce() {
    List<Instance> all = members(2);
    Instance i = all.get(0);
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().build();

    ClientStreamTracer first = i.tracers.newClientStreamTracer(info, new Metadata());
    ClientStreamTracer second = i.tracers.newClientStreamTracer(info, new Metadata());
    assertThat(i.outstanding).hasValue(2);
    first.streamClosed(Status.UNAVAILABLE);
    first.streamClosed(Status.UNAVAILABLE);
    assertThat(i.outstanding).hasValue(1);
    assertThat(i.consecutiveFailures).hasValue(1);
    second.streamClosed(Status.OK);
    assertThat(i.outstanding).hasValue(0);
    assertThat(i.consecutiveFailures).hasValue(0);

    // A cancel counts only when the command marked its call as timed out.
    TimeoutMark mark = new TimeoutMark();
    ClientStreamTracer.StreamInfo marked = ClientStreamTracer.StreamInfo.newBuilder()
        .setCallOptions(CallOptions.DEFAULT.withOption(TimeoutMark.KEY, mark)).build();
    i.tracers.newClientStreamTracer(marked, new Metadata()).streamClosed(Status.CANCELLED);
    assertThat(i.consecutiveFailures).hasValue(0);
    mark.set();
    i.tracers.newClientStreamTracer(marked, new Metadata()).streamClosed(Status.CANCELLED);
    assertThat(i.consecutiveFailures).hasValue(1);
  }
}
