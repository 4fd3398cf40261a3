package io.breakwater.resilience;

import io.breakwater.example.ExampleServer;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Example servers and channels on 127.0.0.1, all closed by {@link #close()}. */
final class GrpcLoopback implements AutoCloseable {

  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** Serves {@code service} on an ephemeral loopback port; returns the port. */
  int serve(ExampleServer service, ServerInterceptor... interceptors) {
    try {
      Server server = NettyServerBuilder
          .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
              InsecureServerCredentials.create())
          .addService(ServerInterceptors.intercept(service, interceptors))
          .build()
          .start();
      servers.add(server);
      return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A plaintext channel to {@code 127.0.0.1:port}. */
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
    channels.clear();
    servers.clear();
  }
}
