package dev.platemate.gateway.server;

import dev.platemate.gateway.config.ServerConfig;
import dev.platemate.gateway.probe.Probe;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket and the client connections it accepts. {@link #start()} and {@link #drain(Duration)} are
 * called from the main or shutdown thread, never from an event loop.
 */
public final class GatewayServer {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);
    /** How long refused queued requests get for their 503 to be written before connections close. */
    private static final Duration QUEUED_REFUSAL_GRACE = Duration.ofSeconds(1);

    private final ServerConfig config;
    private final Transport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final Lifecycle lifecycle;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final ConnectionLimiter limiter;
    private final RequestDispatcher dispatcher;
    private final RequestListener listener;
    private final Probe probe;
    private Channel serverChannel;

    public GatewayServer(ServerConfig config, Transport transport, EventLoopGroup acceptor, EventLoopGroup workers,
                         RequestDispatcher dispatcher, RequestListener listener, Lifecycle lifecycle, Probe probe) {
        this.config = config;
        this.transport = transport;
        this.acceptor = acceptor;
        this.workers = workers;
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.lifecycle = lifecycle;
        this.probe = probe;
        this.limiter = new ConnectionLimiter(config.maxConnections(), clients);
    }

    /** Binds the listening socket; returns the address it listens on (the real port when 0 was asked for). */
    public InetSocketAddress start() throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, transport.allocator())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new InboundInitializer(config, limiter, dispatcher, listener, lifecycle,
                        probe));
        try {
            ChannelFuture bound = bootstrap.bind(config.host(), config.port());
            bound.get();
            serverChannel = bound.channel();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Client connections open now. */
    public int openConnections() {
        return limiter.openConnections();
    }

    /**
     * Stops accepting, lets in-flight and queued requests finish (idle connections close at once, busy ones after
     * their response). At {@code timeout}, {@code refuseQueued} answers whoever still waits in a queue, they get a
     * moment to be written, and then every connection left is closed.
     */
    public void drain(Duration timeout, Runnable refuseQueued) throws InterruptedException {
        lifecycle.startDraining();
        if (serverChannel != null) {
            serverChannel.close().await();
        }
        for (Channel client : clients) {
            client.eventLoop().execute(() -> client.pipeline().fireUserEventTriggered(Lifecycle.DRAIN));
        }
        if (!lifecycle.awaitDrained(timeout)) {
            log.warn("Shutdown timeout ({} ms) reached with {} requests in flight; refusing the queued, closing the rest",
                    timeout.toMillis(), lifecycle.inFlight());
            refuseQueued.run();
            lifecycle.awaitDrained(QUEUED_REFUSAL_GRACE);
        }
        clients.close().await();
    }
}
