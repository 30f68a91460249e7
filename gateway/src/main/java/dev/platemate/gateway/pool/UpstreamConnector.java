package dev.platemate.gateway.pool;

import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.config.UpstreamConfig.EgressProxy;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.wire.UpstreamRequestEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Opens connections to one upstream on a given event loop, and builds their pipeline, in this order:
 * [egress proxy handler] → [TLS with SNI and hostname verification] → {@link PlainResponses} → response decoder
 * → request encoder → idle timers → {@link UpstreamConnection}. A connection is handed out only once it can carry
 * a request: TCP connected, proxy tunnel open and TLS handshake done, all within {@code connect_timeout}.
 */
public final class UpstreamConnector {

    /**
     * Response heads from a configured upstream, which is trusted with its header bytes: names and values are not
     * validated as they are decoded (the decoder still splits lines and names, so no LF gets through). This is the
     * only place validation is off; client requests are validated in full.
     */
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8192).setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024)
            .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))
            .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(false));

    private final UpstreamConfig config;
    private final Transport transport;
    private final SslContext ssl;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private final SocketAddress proxyAddress;

    /**
     * @param ssl      null for a plain-HTTP upstream
     * @param resolver non-blocking DNS shared by all upstreams
     */
    public UpstreamConnector(UpstreamConfig config, Transport transport, SslContext ssl,
                             AddressResolverGroup<? extends SocketAddress> resolver) {
        this.config = config;
        this.transport = transport;
        this.ssl = ssl;
        this.resolver = config.egressProxy().isPresent() ? NoopAddressResolverGroup.INSTANCE : resolver;
        // the proxy's own address is resolved once, at startup; the upstream's name goes to the proxy unresolved
        this.proxyAddress = config.egressProxy()
                .map(p -> (SocketAddress) new InetSocketAddress(p.host(), p.port())).orElse(null);
    }

    Future<UpstreamConnection> connect(EventLoop loop, PerLoopChannelPool pool) {
        Promise<UpstreamConnection> promise = loop.newPromise();
        UpstreamConnection connection = new UpstreamConnection(pool, config.pool().maxRequestsPerConnection(),
                config.idleTimeout().toNanos(), config.pool().idleTimeout().toNanos(), new PlainResponses(),
                new UpstreamResponseDecoder(RESPONSE_DECODER));
        long timeoutMillis = config.connectTimeout().toMillis();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .option(ChannelOption.ALLOCATOR, transport.allocator())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pipeline(ch.pipeline(), connection);
                    }
                });
        ChannelFuture connect = bootstrap.connect(InetSocketAddress.createUnresolved(config.host(), config.port()));
        Channel channel = connect.channel();
        ScheduledFuture<?> timeout = loop.schedule(() -> {
            if (promise.tryFailure(new ConnectTimeoutException("connecting to " + config.name() + " ("
                    + config.authority() + ") took longer than " + timeoutMillis + "ms"))) {
                channel.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        promise.addListener(done -> timeout.cancel(false));
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            ready(channel).addListener(ready -> {
                if (!ready.isSuccess()) {
                    promise.tryFailure(ready.cause());
                    channel.close();
                } else if (!promise.trySuccess(connection)) {
                    channel.close();
                }
            });
        });
        return promise;
    }

    private Future<?> ready(Channel channel) {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls != null) {
            return tls.handshakeFuture(); // completes after the proxy tunnel, which carries the handshake
        }
        ProxyHandler proxy = channel.pipeline().get(ProxyHandler.class);
        return proxy != null ? proxy.connectFuture() : channel.newSucceededFuture();
    }

    private void pipeline(ChannelPipeline p, UpstreamConnection connection) {
        config.egressProxy().ifPresent(proxy -> p.addLast("egress-proxy", proxyHandler(proxy)));
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(p.channel().alloc(), config.host(), config.port()));
        }
        p.addLast("plain", connection.plainResponses());
        p.addLast("decoder", connection.decoder());
        p.addLast("encoder", new UpstreamRequestEncoder());
        // reads only: a writer or all-idle timer would cost a promise and a listener on every write
        p.addLast("idle", new IdleStateHandler(Math.min(config.idleTimeout().toMillis(),
                config.pool().idleTimeout().toMillis()), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast("connection", connection);
    }

    private ProxyHandler proxyHandler(EgressProxy proxy) {
        ProxyHandler handler = proxy.kind() == EgressProxy.Kind.HTTP
                ? new HttpProxyHandler(proxyAddress) : new Socks5ProxyHandler(proxyAddress);
        handler.setConnectTimeoutMillis(config.connectTimeout().toMillis());
        return handler;
    }
}
