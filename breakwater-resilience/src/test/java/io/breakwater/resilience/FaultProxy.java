package io.breakwater.resilience;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 in front of one port on 127.0.0.1, with faults that can be switched
 * at run time: latency, a stall, resets, refused connections, dropped connections and a
 * bandwidth limit.
 *
 * <p>Each accepted connection gets an upstream connection and two links, one per direction. A
 * link is a reader thread that reads chunks into a small bounded queue, stamping each with the
 * time it may be delivered (arrival plus the latency in force), and a writer thread that
 * delivers chunks in order once they are due, no faster than the bandwidth allows, and not at
 * all while the proxy is stalled. Splitting reading from writing is what makes latency a delay
 * rather than a throughput cap: a chunk waits for its own due time, not for the chunks before it
 * to have waited theirs. The bounded queue turns a stalled or throttled writer into TCP
 * back-pressure on the sender, as a slow network would.
 *
 * <p>The faults:
 *
 * <ul>
 *   <li>{@link #latency}: every chunk read from then on is delivered that much later;
 *   <li>{@link #stall}: nothing is delivered on any connection; new connections are accepted and
 *       never answered (their upstream connection waits for the stall to end). Held data flows
 *       again once the stall ends, as after a healed network partition;
 *   <li>{@link #resetAll}: every open connection is reset (RST) at once;
 *   <li>{@link #refuse}: the listening socket is closed, so connecting fails at once; switching
 *       it off listens again on the same port;
 *   <li>{@link #dropFraction}: that share of new connections is reset right after accept;
 *   <li>{@link #bandwidth}: each direction of each connection is limited to so many bytes a
 *       second.
 * </ul>
 *
 * <p>It is bounded: at most {@code maxConnections} are ever accepted (later ones are reset and
 * counted in {@link #overLimit()}), and it closes itself after {@code lifetime}. It listens on
 * and connects to loopback only. Threads are daemons named {@code fault-proxy-PORT-...}; close
 * stops them all. Thread-safe.
 */
final class FaultProxy implements AutoCloseable {

  private static final int CHUNK = 16 * 1024;
  private static final int QUEUE_CHUNKS = 16;
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final int targetPort;
  private final int maxConnections;
  private final int port;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger threadNumber = new AtomicInteger();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong overLimit = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private final CountDownLatch closed = new CountDownLatch(1);
  // Guards the listening socket's replacement, and carries "a fault changed" to waiting writers.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private ServerSocket listener;
  /** The socket the acceptor is blocked on, or null; refusing waits until it let go. */
  private ServerSocket accepting;

  private volatile long latencyNanos;
  private volatile boolean stalled;
  private volatile double dropFraction;
  private volatile long bytesPerSecond;

  private FaultProxy(int targetPort, int maxConnections, Duration lifetime) throws IOException {
    this.targetPort = targetPort;
    this.maxConnections = maxConnections;
    this.listener = listen(0);
    this.port = listener.getLocalPort();
    daemon("acceptor", this::acceptLoop).start();
    daemon("lifetime", () -> {
      try {
        if (!closed.await(lifetime.toNanos(), TimeUnit.NANOSECONDS)) {
          close();
        }
      } catch (InterruptedException e) {
        close();
      }
    }).start();
  }

  /**
   * A proxy in front of {@code 127.0.0.1:targetPort}, accepting at most {@code maxConnections}
   * connections and closing itself after {@code lifetime}.
   */
  static FaultProxy start(int targetPort, int maxConnections, Duration lifetime) {
    if (targetPort < 1 || targetPort > 65_535) {
      throw new IllegalArgumentException("targetPort must be 1 to 65535, was " + targetPort);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be positive, was "
          + maxConnections);
    }
    Objects.requireNonNull(lifetime, "lifetime");
    try {
      return new FaultProxy(targetPort, maxConnections, lifetime);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A proxy with room for 1000 connections that closes itself after five minutes. */
  static FaultProxy start(int targetPort) {
    return start(targetPort, 1000, Duration.ofMinutes(5));
  }

  /** The port clients connect to. */
  int port() {
    return port;
  }

  // ---------------------------------------------------------------------------------------
  // Faults
  // ---------------------------------------------------------------------------------------

  /** Delays every chunk read from now on by {@code latency}; zero for none. */
  FaultProxy latency(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, was " + latency);
    }
    latencyNanos = latency.toNanos();
    signal();
    return this;
  }

  /** Stops (true) or resumes (false) all delivery; new connections are accepted, not answered. */
  FaultProxy stall(boolean stall) {
    stalled = stall;
    signal();
    return this;
  }

  /** Resets every open connection now; returns how many. */
  int resetAll() {
    int n = 0;
    for (Connection c : open) {
      if (c.reset()) {
        n++;
      }
    }
    resets.addAndGet(n);
    return n;
  }

  /** Closes the listening socket (true), so connecting is refused, or listens again (false). */
  FaultProxy refuse(boolean refuse) {
    lock.lock();
    try {
      if (closed.getCount() == 0) {
        return this;
      }
      if (refuse && listener != null) {
        ServerSocket old = listener;
        closeQuietly(old);
        listener = null;
        // The kernel keeps listening until the accepting thread has left accept().
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (accepting == old && System.nanoTime() < deadline) {
          changed.awaitNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      } else if (!refuse && listener == null) {
        listener = listen(port);
      }
      changed.signalAll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen again on " + port, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    return this;
  }

  /** Resets that share (0.0 to 1.0) of new connections right after accepting them. */
  FaultProxy dropFraction(double fraction) {
    if (!(fraction >= 0.0 && fraction <= 1.0)) {
      throw new IllegalArgumentException("fraction must be 0.0 to 1.0, was " + fraction);
    }
    dropFraction = fraction;
    return this;
  }

  /** Limits each direction of each connection to this many bytes a second; 0 for no limit. */
  FaultProxy bandwidth(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must not be negative, was "
          + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    signal();
    return this;
  }

  /** Turns every fault off: no latency, no stall, listening, no drops, no bandwidth limit. */
  FaultProxy heal() {
    latencyNanos = 0;
    dropFraction = 0;
    bytesPerSecond = 0;
    stalled = false;
    refuse(false);
    signal();
    return this;
  }

  // ---------------------------------------------------------------------------------------
  // Figures
  // ---------------------------------------------------------------------------------------

  /** Connections accepted and forwarded (or held by a stall), over the proxy's life. */
  long accepted() {
    return accepted.get();
  }

  /** Connections reset right after accept by {@link #dropFraction}. */
  long dropped() {
    return dropped.get();
  }

  /** Connections reset because {@code maxConnections} had been accepted already. */
  long overLimit() {
    return overLimit.get();
  }

  /** Connections reset by {@link #resetAll}. */
  long resets() {
    return resets.get();
  }

  /** Bytes delivered, both directions, all connections. */
  long bytesForwarded() {
    return bytesForwarded.get();
  }

  /** Connections open now. */
  int openConnections() {
    return open.size();
  }

  boolean isClosed() {
    return closed.getCount() == 0;
  }

  /** Stops listening, closes every connection and lets every thread end. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed.getCount() == 0) {
        return;
      }
      closed.countDown();
      if (listener != null) {
        closeQuietly(listener);
        listener = null;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Connection c : open) {
      c.close();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Machinery
  // ---------------------------------------------------------------------------------------

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(LOOPBACK, port), 128);
    return s;
  }

  private void acceptLoop() {
    while (!isClosed()) {
      ServerSocket current;
      lock.lock();
      try {
        while (listener == null && !isClosed()) {
          changed.awaitUninterruptibly();
        }
        current = listener;
        accepting = current;
      } finally {
        lock.unlock();
      }
      if (current == null) {
        return;
      }
      Socket client;
      try {
        client = current.accept();
      } catch (IOException e) {
        continue; // closed for refuse(true) or close(); the loop looks again
      } finally {
        lock.lock();
        try {
          accepting = null;
          changed.signalAll();
        } finally {
          lock.unlock();
        }
      }
      if (accepted.get() + dropped.get() >= maxConnections) {
        overLimit.incrementAndGet();
        hardClose(client);
        continue;
      }
      if (dropFraction > 0 && ThreadLocalRandom.current().nextDouble() < dropFraction) {
        dropped.incrementAndGet();
        hardClose(client);
        continue;
      }
      accepted.incrementAndGet();
      Connection c = new Connection(client);
      open.add(c);
      daemon("connect", c::connect).start();
    }
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until a fault changes or {@code nanos} pass. */
  private void awaitChange(long nanos) throws InterruptedException {
    lock.lock();
    try {
      changed.awaitNanos(nanos);
    } finally {
      lock.unlock();
    }
  }

  private Thread daemon(String role, Runnable body) {
    Thread t = new Thread(body, "fault-proxy-" + port + "-" + role + "-"
        + threadNumber.incrementAndGet());
    t.setDaemon(true);
    return t;
  }

  /** Closes with an RST rather than a FIN: the peer sees "connection reset". */
  private static void hardClose(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException ignored) {
      // already closed
    }
    closeQuietly(s);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing is best effort
    }
  }

  /** One proxied connection: the client's socket, the upstream one, two links. */
  private final class Connection {
    final Socket client;
    volatile Socket upstream;
    final AtomicInteger linksDone = new AtomicInteger();
    volatile boolean finished;

    Connection(Socket client) {
      this.client = client;
    }

    /** Waits out a stall (accept and never answer), then connects upstream and starts. */
    void connect() {
      try {
        while (stalled && !isClosed() && !finished) {
          awaitChange(TimeUnit.MILLISECONDS.toNanos(50));
        }
        if (isClosed() || finished) {
          close();
          return;
        }
        Socket up = new Socket();
        up.connect(new InetSocketAddress(LOOPBACK, targetPort), 2000);
        up.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
        upstream = up;
        if (finished) {
          close();
          return;
        }
        daemon("c2s-read", () -> link(client, up, true)).start();
        daemon("s2c-read", () -> link(up, client, false)).start();
      } catch (IOException | InterruptedException e) {
        reset();
      }
    }

    private void link(Socket from, Socket to, boolean toUpstream) {
      BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
      Thread writer = daemon(toUpstream ? "c2s-write" : "s2c-write", () -> deliver(queue, to));
      writer.start();
      try {
        InputStream in = from.getInputStream();
        while (true) {
          byte[] buffer = new byte[CHUNK];
          int n = in.read(buffer);
          if (n < 0) {
            queue.offer(Chunk.EOF, 5, TimeUnit.SECONDS);
            return;
          }
          Chunk chunk = new Chunk(buffer, n, System.nanoTime() + latencyNanos);
          while (!queue.offer(chunk, 50, TimeUnit.MILLISECONDS)) {
            if (finished || isClosed()) {
              return;
            }
          }
        }
      } catch (IOException | InterruptedException e) {
        close();
        writer.interrupt();
      }
    }

    private void deliver(BlockingQueue<Chunk> queue, Socket to) {
      long nextFree = System.nanoTime();
      try {
        OutputStream out = to.getOutputStream();
        while (true) {
          Chunk chunk = queue.poll(50, TimeUnit.MILLISECONDS);
          if (finished || isClosed()) {
            return;
          }
          if (chunk == null) {
            continue;
          }
          if (chunk == Chunk.EOF) {
            to.shutdownOutput();
            if (linksDone.incrementAndGet() == 2) {
              close();
            }
            return;
          }
          int offset = 0;
          while (offset < chunk.length) {
            if (finished || isClosed()) {
              return;
            }
            long now = System.nanoTime();
            if (stalled || now < chunk.dueNanos) {
              awaitChange(stalled ? TimeUnit.MILLISECONDS.toNanos(50) : chunk.dueNanos - now);
              continue;
            }
            long rate = bytesPerSecond;
            int slice = chunk.length - offset;
            if (rate > 0) {
              slice = (int) Math.max(1, Math.min(slice, rate / 20));
              nextFree = Math.max(nextFree, now);
              if (nextFree > now) {
                awaitChange(nextFree - now);
                continue;
              }
              nextFree += slice * 1_000_000_000L / rate;
            }
            out.write(chunk.data, offset, slice);
            out.flush();
            offset += slice;
            bytesForwarded.addAndGet(slice);
          }
        }
      } catch (IOException | InterruptedException e) {
        close();
      }
    }

    /** Resets both sides; true when this call did it. */
    boolean reset() {
      if (finished) {
        return false;
      }
      finished = true;
      hardClose(client);
      Socket up = upstream;
      if (up != null) {
        hardClose(up);
      }
      open.remove(this);
      return true;
    }

    void close() {
      finished = true;
      closeQuietly(client);
      Socket up = upstream;
      if (up != null) {
        closeQuietly(up);
      }
      open.remove(this);
    }
  }

  private static final class Chunk {
    static final Chunk EOF = new Chunk(new byte[0], 0, 0);

    final byte[] data;
    final int length;
    final long dueNanos;

    Chunk(byte[] data, int length, long dueNanos) {
      this.data = data;
      this.length = length;
      this.dueNanos = dueNanos;
    }
  }
}
