package io.breakwater.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real gRPC servers and channels on 127.0.0.1, all closed by {@link #close()}. */
final class Loopback implements AutoCloseable {

  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** Starts a server for {@code service} on an ephemeral loopback port and returns the port. */
  int serve(TestService service) {
    try {
      Server server = NettyServerBuilder
          .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
              InsecureServerCredentials.create())
          .addService(service)
          .build()
          .start();
      servers.add(server);
      return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server on {@code port} at once, as a crashed process would. */
  void kill(int port) throws InterruptedException {
    for (Server server : servers) {
      if (((InetSocketAddress) server.getListenSockets().get(0)).getPort() == port) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  ManagedChannel channel(int port, ClientInterceptor... interceptors) {
    ManagedChannel channel = Grpc
        .newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .intercept(interceptors)
        .build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (Server server : servers) {
      server.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server server : servers) {
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
