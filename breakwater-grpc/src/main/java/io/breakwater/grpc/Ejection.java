package io.breakwater.grpc;

import java.net.SocketAddress;
import java.time.Duration;

/**
 * One instance taken out of rotation.
 *
 * @param address the instance's address
 * @param consecutiveFailures the failures in a row that caused it
 * @param ejectionCount how often it has been ejected, counting this time, after decay
 * @param duration how long it stays out
 */
public record Ejection(
    SocketAddress address, int consecutiveFailures, int ejectionCount, Duration duration) {}
