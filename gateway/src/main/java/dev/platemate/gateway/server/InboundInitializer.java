package dev.platemate.gateway.server;

import dev.platemate.gateway.config.ServerConfig;
import dev.platemate.gateway.probe.Probe;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;

/**
 * Builds a client connection's pipeline, in this order:
 * <ol>
 *   <li>{@link ConnectionLimiter}: max_connections (shared)</li>
 *   <li>{@link ClientTimeouts}: 408 when a head trickles in (sees raw bytes); idle keep-alive connections
 *       close after server.idle_timeout</li>
 *   <li>{@link RequestDecoder}: Netty's, refusing folded header lines, with a short way for simple heads; request
 *       line and header limits</li>
 *   <li>{@link ResponseEncoder}: HEAD answers without a body, pre-encoded responses as they are (outbound only;
 *       a separate handler rather than a combined codec, whose delegation cost measurably more per request)</li>
 *   <li>{@link RequestGuard}: decoder failures, framing, body size</li>
 *   <li>{@link InboundHandler}: one request at a time, handed to the dispatcher</li>
 * </ol>
 */
final class InboundInitializer extends ChannelInitializer<SocketChannel> {

    private final ServerConfig config;
    private final ConnectionLimiter limiter;
    private final RequestDispatcher dispatcher;
    private final RequestListener listener;
    private final Lifecycle lifecycle;
    private final Probe probe;

    InboundInitializer(ServerConfig config, ConnectionLimiter limiter, RequestDispatcher dispatcher,
                       RequestListener listener, Lifecycle lifecycle, Probe probe) {
        this.config = config;
        this.limiter = limiter;
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.lifecycle = lifecycle;
        this.probe = probe;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ClientTimeouts timeouts = new ClientTimeouts(config.headerTimeout().toNanos(), config.idleTimeout().toNanos());
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxRequestLine().toIntClamped())
                .setMaxHeaderSize(config.maxHeaderSize().toIntClamped())
                .setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true);
        ChannelPipeline p = ch.pipeline();
        p.addLast("limit", limiter);
        p.addLast("timeouts", timeouts);
        ResponseEncoder encoder = new ResponseEncoder();
        p.addLast("decoder", new RequestDecoder(decoder));
        p.addLast("encoder", encoder);
        p.addLast("guard", new RequestGuard(config.maxBodySize().bytes(), timeouts, probe));
        p.addLast("inbound", new InboundHandler(dispatcher, listener, lifecycle, timeouts, encoder,
                probe));
    }
}
