package io.breakwater.metrics;

import io.breakwater.ThreadPoolConfig;

/**
 * One thread pool at one moment: the executor's own figures and the rolling counts of
 * executions and rejections. Field meanings follow Hystrix's {@code HystrixThreadPool} stream
 * message.
 */
public record ThreadPoolSnapshot(
    String name,
    long timeMillis,
    int activeCount,
    long completedTaskCount,
    int corePoolSize,
    int largestPoolSize,
    int maximumPoolSize,
    int poolSize,
    int queueSize,
    long taskCount,
    long rollingCountThreadsExecuted,
    long rollingMaxActiveThreads,
    long rollingCountCommandRejections,
    long cumulativeCountThreadsExecuted,
    long cumulativeCountCommandRejections,
    ThreadPoolConfig config) {}
