import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ResourceLeakDetector;

/**
 * The WebSocket upstream of bench/websocket: every message comes back as it came, on Netty's epoll transport (the
 * fastest echo this JVM gives, so the proxies in front of it are what is measured). Plain HTTP any path; answers
 * GET / without an upgrade with 400 (so a port check sees it). Run on the gateway's jar:
 *   java -cp gateway/target/gateway.jar bench/floor/WebSocketEcho.java PORT
 */
public final class WebSocketEcho {

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // as in the gateway: Netty's default samples 1 buffer in 128 and records a stack trace for each, a cost
            // per buffer that would fall on whichever side makes this server allocate more
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        int port = Integer.parseInt(args[0]);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(0, EpollIoHandler.newFactory());
        new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Upgrade());
                    }
                }).bind("127.0.0.1", port).sync();
        System.out.println("websocket echo on 127.0.0.1:" + port);
    }

    private static final class Upgrade extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!"websocket".equalsIgnoreCase(request.headers().get("upgrade"))) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("ws://"
                    + request.headers().get("host") + request.uri(), null, false, 1 << 20).newHandshaker(request);
            if (handshaker == null) {
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                return;
            }
            ctx.pipeline().addLast(new Echo());
            handshaker.handshake(ctx.channel(), request);
        }
    }

    private static final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
        Echo() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
            } else if (frame instanceof PingWebSocketFrame ping) {
                ctx.write(new PongWebSocketFrame(ping.content()));
            } else {
                ctx.write(frame);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }
}
