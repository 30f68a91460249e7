package dev.platemate.gateway.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket server for tests, plain or TLS (the test certificate, for localhost), on a free loopback port. By
 * path:
 * <ul>
 *   <li>{@code /echo} (and any other): every frame comes back as it came (fragments and all); a ping gets its pong;
 *       a close is answered with the same code; subprotocols {@code realtime} and {@code chat} are spoken;</li>
 *   <li>{@code /refuse?status=N}: answers the handshake with status N and a short JSON body;</li>
 *   <li>{@code /close?code=N}: closes with code N right after the handshake;</li>
 *   <li>{@code /flood?bytes=N&size=M}: sends N bytes in binary messages of M bytes, as fast as the connection
 *       takes them ({@link #sent}, {@link #blocked}, {@link #finished});</li>
 *   <li>{@code /early}: a 103 before its 101; {@code /slow?ms=N}: its 101 N ms late; both then echo.</li>
 * </ul>
 * Every handshake's headers are kept ({@link #handshakes}), and every close code it received ({@link #closes}).
 */
public final class WebSocketUpstream implements AutoCloseable {

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel server;
    private final SslContext ssl;
    public final LinkedBlockingQueue<HttpHeaders> handshakes = new LinkedBlockingQueue<>();
    public final LinkedBlockingQueue<Integer> closes = new LinkedBlockingQueue<>();
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicLong sent = new AtomicLong();
    public final AtomicBoolean blocked = new AtomicBoolean();
    public final AtomicBoolean finished = new AtomicBoolean();

    private WebSocketUpstream(boolean tls) throws Exception {
        this.ssl = tls ? serverContext() : null;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        open.incrementAndGet();
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                new Handshaking());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public static WebSocketUpstream plain() throws Exception {
        return new WebSocketUpstream(false);
    }

    public static WebSocketUpstream tls() throws Exception {
        return new WebSocketUpstream(true);
    }

    /** The URL to configure as the upstream: plain on 127.0.0.1, TLS on localhost (the certificate's name). */
    public String url() {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return (ssl == null ? "http://127.0.0.1:" : "https://localhost:") + port;
    }

    @Override
    public void close() throws Exception {
        server.close().await(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private static SslContext serverContext() throws Exception {
        try (InputStream cert = WebSocketUpstream.class.getResourceAsStream("/tls/cert.pem");
             InputStream key = WebSocketUpstream.class.getResourceAsStream("/tls/key.pem")) {
            return SslContextBuilder.forServer(cert, key).build();
        }
    }

    private final class Handshaking extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            handshakes.add(request.headers().copy());
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            if (uri.path().equals("/refuse")) {
                int status = Integer.parseInt(uri.parameters().get("status").get(0));
                byte[] body = ("{\"error\":\"refused with " + status + "\"}").getBytes(StandardCharsets.UTF_8);
                FullHttpResponse refused = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
                refused.headers().set("content-type", "application/json").set("content-length", body.length)
                        .set("x-refused-by", "test-upstream");
                ctx.writeAndFlush(refused);
                return;
            }
            String scheme = ssl == null ? "ws://" : "wss://";
            WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(scheme
                    + request.headers().get("host") + uri.path(), "realtime,chat", false, 64 * 1024 * 1024)
                    .newHandshaker(request);
            if (handshaker == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            Channel channel = ctx.channel();
            ctx.pipeline().addLast(new Frames(uri));
            if (uri.path().equals("/early")) {   // an interim answer first, as a server with early hints sends
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(103)));
            }
            if (uri.path().equals("/slow")) {
                FullHttpRequest held = request.retainedDuplicate();
                ctx.executor().schedule(() -> {
                    handshaker.handshake(channel, held);
                    held.release();
                }, Long.parseLong(uri.parameters().get("ms").get(0)), TimeUnit.MILLISECONDS);
                return;
            }
            handshaker.handshake(channel, request).addListener(done -> {
                if (uri.path().equals("/close")) {
                    int code = Integer.parseInt(uri.parameters().get("code").get(0));
                    channel.writeAndFlush(new CloseWebSocketFrame(code, "bye from upstream"));
                } else if (uri.path().equals("/flood")) {
                    flood(channel, Long.parseLong(uri.parameters().get("bytes").get(0)),
                            Integer.parseInt(uri.parameters().get("size").get(0)));
                }
            });
        }
    }

    private void flood(Channel channel, long total, int size) {
        byte[] message = new byte[size];
        Runnable more = new Runnable() {
            @Override
            public void run() {
                while (channel.isActive() && sent.get() < total) {
                    if (!channel.isWritable()) {
                        blocked.set(true);
                        channel.flush();
                        return;   // writabilityChanged calls again
                    }
                    channel.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message)));
                    sent.addAndGet(size);
                }
                channel.flush();
                finished.set(sent.get() >= total);
            }
        };
        channel.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) {
                    blocked.set(false);
                    more.run();
                }
            }
        });
        more.run();
    }

    private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final QueryStringDecoder uri;

        Frames(QueryStringDecoder uri) {
            super(false);
            this.uri = uri;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                closes.add(close.statusCode());
                if (uri.path().equals("/close")) {
                    close.release();   // the answer to our own close
                    ctx.close();
                    return;
                }
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), close.reasonText()))
                        .addListener(ChannelFutureListener.CLOSE);
                close.release();
            } else if (frame instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            } else if (frame instanceof PongWebSocketFrame) {
                frame.release();
            } else if (uri.path().equals("/flood")) {
                frame.release();
            } else {
                ctx.writeAndFlush(frame);   // as it came: text or binary, first fragment or continuation
            }
        }
    }

    /** Bytes of a payload, for assertions. */
    public static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }
}
