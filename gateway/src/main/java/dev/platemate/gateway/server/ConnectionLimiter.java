package dev.platemate.gateway.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds client connections to {@code server.max_connections}: one beyond it is closed at once, before any byte is
 * read. Also registers every accepted connection in the group used for draining. Shared by all channels.
 */
@Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private final int maxConnections;
    private final ChannelGroup clients;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(int maxConnections, ChannelGroup clients) {
        this.maxConnections = maxConnections;
        this.clients = clients;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > maxConnections) {
            ctx.close();
            return;
        }
        clients.add(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }

    int openConnections() {
        return open.get();
    }
}
