import dev.platemate.gateway.server.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;

/**
 * Floors for a proxy built on Netty on this machine, to tell what the gateway's CPU per request is made of:
 * <ul>
 *   <li>{@code tcp}: a relay of bytes, with no HTTP at all;</li>
 *   <li>{@code http}: the same relay with Netty's HTTP codecs on both sides (HttpServerCodec towards the client,
 *       HttpClientCodec towards the upstream), passing the decoded objects through unchanged: no routing, no
 *       header rewrite, no pool, no timers;</li>
 *   <li>{@code request}: Netty's codecs on the request only (decoded from the client, encoded to the upstream);
 *       the response goes back as bytes, as in {@code tcp};</li>
 *   <li>{@code static}: no upstream; HttpServerCodec answering every request with the same 1 KiB JSON response,
 *       as a cache hit would (its body shared, its head with the headers of a hit), without a cache, a route or a
 *       key;</li>
 *   <li>{@code bytes}: no upstream and no HTTP codec; every request head ({@code \r\n\r\n}) read is answered
 *       with the same response, its head and body encoded once: what any answer costs on Netty here at the
 *       least.</li>
 * </ul>
 * Each client connection gets its own upstream connection on the same event loop; what is read is written to the
 * other side and flushed once per read. It runs on the gateway's jar (same Netty, pooled allocator and transport:
 * the gateway's own choice, io_uring where it loads, or what GATEWAY_TRANSPORT names):
 *
 *   java -cp gateway/target/gateway.jar bench/floor/NettyFloor.java tcp|http|request|static|bytes LISTEN_PORT [UPSTREAM_PORT]
 */
public final class NettyFloor {

    private static final Transport TRANSPORT = Transport.detect();

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // as in the gateway: Netty's default samples 1 buffer in 128 and records a stack trace for each, a cost
            // per buffer that would fall on whichever side makes this server allocate more
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        String mode = args[0];
        int listen = Integer.parseInt(args[1]);
        boolean local = mode.equals("static") || mode.equals("bytes");
        int upstream = local ? 0 : Integer.parseInt(args[2]);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(0, TRANSPORT.ioHandlerFactory());
        new ServerBootstrap().group(loops).channel(TRANSPORT.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(local ? new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (mode.equals("bytes")) {
                            ch.pipeline().addLast(new StaticBytes());
                        } else {
                            ch.pipeline().addLast(new HttpServerCodec(), new Static());
                        }
                        ch.config().setAutoRead(true);
                    }
                } : new Connect(upstream, mode))
                .bind("127.0.0.1", listen).sync();
        System.out.println(mode + " on 127.0.0.1:" + listen + ", " + TRANSPORT.name());
    }

    /** Opens the upstream connection for each client connection, on its event loop; reading starts after. */
    @ChannelHandler.Sharable
    private static final class Connect extends ChannelInboundHandlerAdapter {
        private final int upstream;
        private final String mode;

        Connect(int upstream, String mode) {
            this.upstream = upstream;
            this.mode = mode;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel client = ctx.channel();
            new Bootstrap().group(client.eventLoop()).channel(TRANSPORT.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (mode.equals("http")) {
                                ch.pipeline().addLast(new HttpClientCodec());
                            } else if (mode.equals("request")) {
                                ch.pipeline().addLast(new HttpRequestEncoder());
                            }
                            ch.pipeline().addLast(new Relay(client));
                        }
                    })
                    .connect("127.0.0.1", upstream).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            client.close();
                            return;
                        }
                        if (mode.equals("http")) {
                            client.pipeline().addLast(new HttpServerCodec());
                        } else if (mode.equals("request")) {
                            client.pipeline().addLast(new HttpRequestDecoder());
                        }
                        client.pipeline().addLast(new Relay(f.channel()));
                        client.config().setAutoRead(true);
                    });
        }
    }

    /** Answers each request with the same response, its body shared; flushes at the end of each read. */
    private static final class Static extends ChannelInboundHandlerAdapter {
        private static final ByteBuf BODY = Unpooled.unreleasableBuffer(Unpooled.directBuffer(1024)
                .writeBytes(("{\"data\":\"" + "x".repeat(1013) + "\"}").getBytes(StandardCharsets.US_ASCII)));

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        BODY.duplicate());
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.CACHE_CONTROL, "max-age=3600")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.readableBytes())
                        .set(HttpHeaderNames.AGE, 0)
                        .set("x-cache", "HIT");
                ctx.write(response, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Answers each request head in what it reads with one pre-encoded response; flushes at the end of each read. */
    private static final class StaticBytes extends ChannelInboundHandlerAdapter {
        private static final ByteBuf RESPONSE = Unpooled.unreleasableBuffer(Unpooled.directBuffer(1200).writeBytes((
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: max-age=3600\r\n"
                        + "content-length: 1024\r\nage: 0\r\nx-cache: HIT\r\n\r\n"
                        + "{\"data\":\"" + "x".repeat(1013) + "\"}").getBytes(StandardCharsets.US_ASCII)));
        private int matched;   // how much of CR LF CR LF the bytes read so far end with

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            for (int i = in.readerIndex(), end = in.writerIndex(); i < end; i++) {
                byte b = in.getByte(i);
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
                if (matched == 4) {
                    matched = 0;
                    ctx.write(RESPONSE.duplicate(), ctx.voidPromise());
                }
            }
            in.release();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Writes what one side reads to the other; flushes at the end of each read. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.write(msg, peer.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.close();
        }
    }
}
