package dev.platemate.gateway.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket client for tests, on Netty's own handshaker: no frame is answered for the test (pings, closes are
 * the test's to see and send). What arrives is kept as {@link Received} copies, so nothing is held past a test.
 */
public final class WebSocketClient implements AutoCloseable {

    /** A frame as it arrived: its kind (text, binary, continuation, ping, pong, close), fin, payload, close code. */
    public record Received(String kind, boolean fin, byte[] payload, int closeCode, String closeReason) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;
    private final WebSocketClientHandshaker handshaker;
    public final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    public final AtomicLong receivedBytes = new AtomicLong();
    public final CompletableFuture<HttpHeaders> handshake = new CompletableFuture<>();
    public final CompletableFuture<Void> closed = new CompletableFuture<>();

    private WebSocketClient(URI uri, HttpHeaders headers, String subprotocols, boolean reading) throws Exception {
        handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13, subprotocols, false,
                headers, 64 * 1024 * 1024);
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, true)
                .option(ChannelOption.SO_RCVBUF, 64 * 1024)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1024 * 1024),
                                new Handler(reading));
                    }
                }).connect(uri.getHost(), uri.getPort()).sync().channel();
        channel.closeFuture().addListener(f -> closed.complete(null));
        handshaker.handshake(channel).sync();
    }

    /** Connects to {@code uri} (ws://127.0.0.1:port/path) and waits for the handshake's answer. */
    public static WebSocketClient connect(URI uri) throws Exception {
        return connect(uri, new DefaultHttpHeaders(), null, true);
    }

    /**
     * @param reading false: once switched, the client reads nothing until {@link #startReading()} (a slow reader)
     */
    public static WebSocketClient connect(URI uri, HttpHeaders headers, String subprotocols, boolean reading)
            throws Exception {
        WebSocketClient client = new WebSocketClient(uri, headers, subprotocols, reading);
        client.handshake.get(10, TimeUnit.SECONDS);
        return client;
    }

    public String subprotocol() {
        return handshaker.actualSubprotocol();
    }

    public void send(WebSocketFrame frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    public void sendText(String text) {
        send(new TextWebSocketFrame(text));
    }

    public void close(int code, String reason) {
        send(new CloseWebSocketFrame(code, reason));
    }

    public void startReading() {
        channel.eventLoop().execute(() -> {
            channel.config().setAutoRead(true);
            channel.read();
        });
    }

    /** The next frame, waiting up to 10 s; fails the test when none comes. */
    public Received next() throws InterruptedException {
        Received frame = received.poll(10, TimeUnit.SECONDS);
        if (frame == null) {
            throw new AssertionError("no frame arrived within 10 s");
        }
        return frame;
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() throws Exception {
        channel.close().await(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private final boolean reading;

        Handler(boolean reading) {
            this.reading = reading;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!handshaker.isHandshakeComplete() && msg instanceof FullHttpResponse response) {
                try {
                    handshaker.finishHandshake(ctx.channel(), response);
                    if (!reading) {
                        ctx.channel().config().setAutoRead(false);
                    }
                    handshake.complete(response.headers().copy());
                } catch (RuntimeException refused) {
                    handshake.completeExceptionally(refused);
                }
                return;
            }
            if (msg instanceof WebSocketFrame frame) {
                ByteBuf content = frame.content();
                byte[] payload = new byte[content.readableBytes()];
                content.getBytes(content.readerIndex(), payload);
                receivedBytes.addAndGet(payload.length);
                int code = -1;
                String reason = null;
                if (frame instanceof CloseWebSocketFrame close) {
                    code = close.statusCode();
                    reason = close.reasonText();
                }
                received.add(new Received(kind(frame), frame.isFinalFragment(), payload, code, reason));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshake.completeExceptionally(cause);
            ctx.close();
        }
    }

    private static String kind(WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame) {
            return "text";
        }
        if (frame instanceof BinaryWebSocketFrame) {
            return "binary";
        }
        if (frame instanceof ContinuationWebSocketFrame) {
            return "continuation";
        }
        if (frame instanceof PingWebSocketFrame) {
            return "ping";
        }
        return frame instanceof PongWebSocketFrame ? "pong" : "close";
    }

    /** A payload of {@code size} bytes that says where each byte was, to compare whole messages. */
    public static ByteBuf pattern(int size) {
        ByteBuf buf = Unpooled.buffer(size);
        for (int i = 0; i < size; i++) {
            buf.writeByte(i * 31 + (i >>> 8));
        }
        return buf;
    }
}
