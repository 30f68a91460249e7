package dev.platemate.gateway.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 upstream for tests, plain or TLS with the self-signed certificate in test resources. It keeps
 * connections alive, counts them, records every request, and has endpoints for each behaviour a test needs:
 * <ul>
 *   <li>{@code /echo...}: the request as JSON (method, uri, headers, body)</li>
 *   <li>{@code /json?size=N}: N bytes; {@code /chunked?chunks=N}: a chunked body</li>
 *   <li>{@code /sse?events=N}: server-sent events; the last waits for {@link #releaseLastEvent()}</li>
 *   <li>{@code /stream}: an endless stream of small chunks, until the connection closes</li>
 *   <li>{@code /hang}: never answers; {@code /slow?ms=N}: answers after N ms; {@code /drip}: head and one chunk, then
 *       silence</li>
 *   <li>{@code /reset}: announces 1000 bytes, sends 100, then resets the connection</li>
 *   <li>{@code /close}: answers with Connection: close; {@code /status/N}: answers status N</li>
 *   <li>{@code /http10}: a body delimited by closing the connection</li>
 * </ul>
 */
public final class TestUpstream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final SslContext ssl;
    private final Channel server;
    public final AtomicInteger accepted = new AtomicInteger();
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicInteger closed = new AtomicInteger();
    /**
     * The most {@code /slow} requests it was answering at once. (Not the most connections open at once: a client that
     * closes one connection and opens another may be seen with both open, the close not yet read here.)
     */
    public final AtomicInteger slowMaxInFlight = new AtomicInteger();
    private final AtomicInteger slowInFlight = new AtomicInteger();
    public final LinkedBlockingQueue<Recorded> requests = new LinkedBlockingQueue<>();
    /** When set, the next request on a connection that already served one is answered by closing it. */
    public final AtomicBoolean dropNextReusedRequest = new AtomicBoolean();
    private final CompletableFuture<Void> lastEvent = new CompletableFuture<>();
    /** {@code /cacheable}: responses served so far (each body carries its number). */
    public final AtomicInteger cacheableServed = new AtomicInteger();
    /** {@code /cacheable}: 304 answers to conditional requests whose validator matched. */
    public final AtomicInteger cacheableNotModified = new AtomicInteger();
    /** {@code /cacheable}: while set, answered 503 (an upstream outage). */
    public final AtomicBoolean cacheableFailing = new AtomicBoolean();
    /** {@code /flaky}: every other request is answered 503 (the first one fails). */
    public final AtomicInteger flakyServed = new AtomicInteger();
    /** {@code /ai}: more than this many at once are answered 429, as a provider would. */
    public final AtomicInteger aiLimit = new AtomicInteger(5);
    /** {@code /ai}: this many next requests are answered 429 (with {@link #aiRetryAfter}), whatever the load. */
    public final AtomicInteger aiRefuseNext = new AtomicInteger();
    /** {@code /ai}: the Retry-After of its 429s, in seconds. */
    public final AtomicInteger aiRetryAfter = new AtomicInteger(1);
    public final AtomicInteger aiInFlight = new AtomicInteger();
    public final AtomicInteger aiMaxInFlight = new AtomicInteger();
    public final AtomicInteger aiRefused = new AtomicInteger();
    /** {@code /ai}: X-Seq of each request, in the order they arrived, with the time (System.nanoTime). */
    public final LinkedBlockingQueue<long[]> aiArrivals = new LinkedBlockingQueue<>();

    /** One request as the upstream saw it. */
    public record Recorded(String method, String uri, Map<String, String> headers, String body, int connection) {
    }

    private TestUpstream(String certificateName) throws Exception {
        this.ssl = certificateName == null ? null : serverContext(certificateName);
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        int id = accepted.incrementAndGet();
                        open.incrementAndGet();
                        ch.closeFuture().addListener(f -> {
                            open.decrementAndGet();
                            closed.incrementAndGet();
                        });
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new FramingRecorder(),
                                new HttpObjectAggregator(32 * 1024 * 1024), new Handler(id));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public static TestUpstream plain() throws Exception {
        return start(false);
    }

    public static TestUpstream tls() throws Exception {
        return start(true);
    }

    private static TestUpstream start(boolean tls) throws Exception {
        return new TestUpstream(tls ? "" : null);
    }

    /** A TLS upstream whose certificate names only wrong.example, for hostname verification. */
    public static TestUpstream tlsForWrongHost() throws Exception {
        return new TestUpstream("wrong-host-");
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    /** The URL to configure: plain on 127.0.0.1, TLS on localhost (the certificate's name). */
    public String url() {
        return (ssl == null ? "http://127.0.0.1:" : "https://localhost:") + port();
    }

    public void releaseLastEvent() {
        lastEvent.complete(null);
    }

    public static java.nio.file.Path certificateFile() throws Exception {
        return resourceFile("cert.pem");
    }

    /** A file under test resources' tls/ folder. */
    public static java.nio.file.Path resourceFile(String name) throws Exception {
        return java.nio.file.Path.of(TestUpstream.class.getResource("/tls/" + name).toURI());
    }

    @Override
    public void close() throws Exception {
        releaseLastEvent();
        server.close().await(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private static SslContext serverContext(String prefix) throws Exception {
        try (InputStream cert = TestUpstream.class.getResourceAsStream("/tls/" + prefix + "cert.pem");
             InputStream key = TestUpstream.class.getResourceAsStream("/tls/" + prefix + "key.pem")) {
            return SslContextBuilder.forServer(cert, key).build();
        }
    }

    /** Keeps how the body was framed on the wire, which aggregation would hide, as x-seen-framing. */
    private static final class FramingRecorder extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.handler.codec.http.HttpRequest request) {
                request.headers().set("x-seen-framing", HttpUtil.isTransferEncodingChunked(request) ? "chunked"
                        : request.headers().contains(HttpHeaderNames.CONTENT_LENGTH) ? "length" : "none");
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final int connection;
        private int served;

        Handler(int connection) {
            this.connection = connection;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            served++;
            if (served > 1 && dropNextReusedRequest.compareAndSet(true, false)) {
                ctx.close();
                return;
            }
            String body = request.content().toString(StandardCharsets.UTF_8);
            Map<String, String> headers = new LinkedHashMap<>();
            request.headers().names().forEach(n -> headers.put(n.toLowerCase(java.util.Locale.ROOT),
                    String.join(", ", request.headers().getAll(n))));
            requests.add(new Recorded(request.method().name(), request.uri(), headers, body, connection));
            QueryStringDecoder query = new QueryStringDecoder(request.uri());
            String path = query.path();
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (path.startsWith("/echo")) {
                Map<String, Object> echo = new LinkedHashMap<>();
                echo.put("method", request.method().name());
                echo.put("uri", request.uri());
                echo.put("headers", headers);
                echo.put("body", body);
                send(ctx, full(HttpResponseStatus.OK, JSON.writeValueAsBytes(echo), "application/json"), keepAlive);
            } else if (path.equals("/cacheable")) {
                cacheable(ctx, request, query, keepAlive);
            } else if (path.equals("/flaky")) {
                boolean fail = flakyServed.incrementAndGet() % 2 == 1;
                FullHttpResponse response = full(fail ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                        (fail ? "down" : "up").getBytes(StandardCharsets.UTF_8), "text/plain");
                List<String> retryAfter = query.parameters().get("retry_after");
                if (fail && retryAfter != null) {
                    response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter.get(0));
                }
                ctx.executor().schedule(() -> send(ctx, response, keepAlive), intParam(query, "ms", 0),
                        TimeUnit.MILLISECONDS);
            } else if (path.equals("/ai")) {
                ai(ctx, request, intParam(query, "ms", 100), keepAlive);
            } else if (path.equals("/json")) {
                int size = intParam(query, "size", 1024);
                send(ctx, full(HttpResponseStatus.OK, jsonOfSize(size), "application/json"), keepAlive);
            } else if (path.equals("/chunked")) {
                int chunks = intParam(query, "chunks", 5);
                ctx.write(chunkedHead("text/plain"));
                for (int i = 0; i < chunks; i++) {
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("chunk-" + i + "\n", StandardCharsets.UTF_8)));
                }
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (path.equals("/sse")) {
                int events = intParam(query, "events", 3);
                ctx.writeAndFlush(chunkedHead("text/event-stream"));
                for (int i = 1; i < events; i++) {
                    ctx.writeAndFlush(event(i));
                }
                CompletableFuture<Void> release = lastEvent;
                release.thenRun(() -> ctx.executor().execute(() -> {
                    ctx.write(event(events));
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                }));
            } else if (path.equals("/stream")) {
                ctx.writeAndFlush(chunkedHead("text/plain"));
                streamForever(ctx, 0);
            } else if (path.equals("/hang")) {
                // never answers
            } else if (path.equals("/slow")) {
                int ms = intParam(query, "ms", 200);
                slowMaxInFlight.accumulateAndGet(slowInFlight.incrementAndGet(), Math::max);
                ctx.executor().schedule(() -> {
                    slowInFlight.decrementAndGet();   // before the answer: the next request can only follow it
                    send(ctx, full(HttpResponseStatus.OK, "slow".getBytes(StandardCharsets.UTF_8), "text/plain"),
                            keepAlive);
                }, ms, TimeUnit.MILLISECONDS);
            } else if (path.equals("/drip")) {
                ctx.write(chunkedHead("text/plain"));
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("first\n", StandardCharsets.UTF_8)));
            } else if (path.equals("/reset")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1000);
                ctx.write(head);
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[100])))
                        .addListener(f -> {
                            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                            ctx.close();
                        });
            } else if (path.equals("/close")) {
                FullHttpResponse response = full(HttpResponseStatus.OK, "bye".getBytes(StandardCharsets.UTF_8),
                        "text/plain");
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else if (path.equals("/hop")) {
                // hop-by-hop headers the gateway must not pass on, and one it must; query: connection, via
                FullHttpResponse response = full(HttpResponseStatus.OK, "hop body".getBytes(StandardCharsets.UTF_8),
                        "text/plain");
                response.headers().set("Keep-Alive", "timeout=5").set("Proxy-Authenticate", "Basic")
                        .set("Trailer", "x-later").set("X-Kept", "yes").set("X-Secret", "hop-only")
                        .set(HttpHeaderNames.CONNECTION, query.parameters().getOrDefault("connection",
                                List.of("keep-alive")).get(0));
                query.parameters().getOrDefault("via", List.of()).forEach(via -> response.headers().set("Via", via));
                send(ctx, response, keepAlive);
            } else if (path.startsWith("/status/")) {
                int status = Integer.parseInt(path.substring("/status/".length()));
                send(ctx, full(HttpResponseStatus.valueOf(status), ("status " + status).getBytes(StandardCharsets.UTF_8),
                        "text/plain"), keepAlive);
            } else if (path.equals("/http10")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK);
                ctx.write(head);
                ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("until close",
                        StandardCharsets.UTF_8))).addListener(ChannelFutureListener.CLOSE);
            } else {
                send(ctx, full(HttpResponseStatus.NOT_FOUND, "unknown test path".getBytes(StandardCharsets.UTF_8),
                        "text/plain"), keepAlive);
            }
        }

        /**
         * A response with the caching headers the query asks for: {@code cc} (Cache-Control), {@code vary},
         * {@code cookie=1}, {@code status}, {@code size}, {@code ms} (delay); {@code etag=X} sends ETag "X" and
         * {@code lm} a fixed Last-Modified, and a conditional request matching either is answered 304 (with the
         * Cache-Control, or {@code cc304}'s; {@code cookie304} adds a Set-Cookie to it); {@code location}, {@code content_location} and {@code surrogate_control} set those
         * headers. The body says which full response it is; every answer carries X-Served, the answers so far.
         */
        private void cacheable(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
                               boolean keepAlive) {
            if (cacheableFailing.get()) {
                send(ctx, full(HttpResponseStatus.SERVICE_UNAVAILABLE, "down".getBytes(StandardCharsets.UTF_8),
                        "text/plain"), keepAlive);
                return;
            }
            String etag = query.parameters().containsKey("etag") ? "\"" + query.parameters().get("etag").get(0) + "\""
                    : null;
            String lastModified = query.parameters().containsKey("lm") ? "Wed, 01 Jan 2025 00:00:00 GMT" : null;
            int answers = cacheableServed.get() + cacheableNotModified.get() + 1;
            if (etag != null && etag.equals(request.headers().get(HttpHeaderNames.IF_NONE_MATCH))
                    || lastModified != null && lastModified.equals(request.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE))) {
                cacheableNotModified.incrementAndGet();
                FullHttpResponse notModified = full(HttpResponseStatus.NOT_MODIFIED, new byte[0], "application/json");
                notModified.headers().remove(HttpHeaderNames.CONTENT_TYPE).remove(HttpHeaderNames.CONTENT_LENGTH)
                        .set("x-served", answers);
                List<String> cc = query.parameters().getOrDefault("cc304", query.parameters().get("cc"));
                if (cc != null) {
                    notModified.headers().set(HttpHeaderNames.CACHE_CONTROL, cc.get(0));
                }
                if (query.parameters().containsKey("cookie304")) {
                    notModified.headers().set(HttpHeaderNames.SET_COOKIE, "session=for-this-client-only");
                }
                ctx.executor().schedule(() -> send(ctx, notModified, keepAlive), intParam(query, "ms", 0),
                        TimeUnit.MILLISECONDS);
                return;
            }
            int n = cacheableServed.incrementAndGet();
            String prefix = "{\"n\":" + n + ",\"pad\":\"";
            int size = Math.max(intParam(query, "size", 64), prefix.length() + 2);
            String body = prefix + "p".repeat(size - prefix.length() - 2) + "\"}";
            FullHttpResponse response = full(HttpResponseStatus.valueOf(intParam(query, "status", 200)),
                    body.getBytes(StandardCharsets.UTF_8), "application/json");
            List<String> cc = query.parameters().get("cc");
            if (cc != null) {
                response.headers().set(HttpHeaderNames.CACHE_CONTROL, cc.get(0));
            }
            List<String> vary = query.parameters().get("vary");
            if (vary != null) {
                response.headers().set(HttpHeaderNames.VARY, vary.get(0));
            }
            if (query.parameters().containsKey("cookie")) {
                response.headers().set(HttpHeaderNames.SET_COOKIE, "session=abc");
            }
            response.headers().set("x-served", answers);
            if (etag != null) {
                response.headers().set(HttpHeaderNames.ETAG, etag);
            }
            if (lastModified != null) {
                response.headers().set(HttpHeaderNames.LAST_MODIFIED, lastModified);
            }
            for (String name : List.of("location", "content_location", "surrogate_control")) {
                List<String> value = query.parameters().get(name);
                if (value != null) {
                    response.headers().set(name.replace('_', '-'), value.get(0));
                }
            }
            ctx.executor().schedule(() -> send(ctx, response, keepAlive), intParam(query, "ms", 0),
                    TimeUnit.MILLISECONDS);
        }

        /** A provider stand-in: answers after {@code ms}, or 429 when over its limit or told to refuse. */
        private void ai(ChannelHandlerContext ctx, FullHttpRequest request, int ms, boolean keepAlive) {
            String seq = request.headers().get("x-seq", "-1");
            aiArrivals.add(new long[] {Long.parseLong(seq), System.nanoTime()});
            int inFlight = aiInFlight.incrementAndGet();
            aiMaxInFlight.accumulateAndGet(inFlight, Math::max);
            boolean refuse = inFlight > aiLimit.get() || aiRefuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            if (refuse) {
                aiRefused.incrementAndGet();
                aiInFlight.decrementAndGet();
                FullHttpResponse tooMany = full(HttpResponseStatus.TOO_MANY_REQUESTS,
                        "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"
                                .getBytes(StandardCharsets.UTF_8), "application/json");
                tooMany.headers().set(HttpHeaderNames.RETRY_AFTER, aiRetryAfter.get());
                send(ctx, tooMany, keepAlive);
                return;
            }
            // like a provider, it stops counting a request when it answers it or its client hangs up
            AtomicBoolean counted = new AtomicBoolean(true);
            Runnable done = () -> {
                if (counted.compareAndSet(true, false)) {
                    aiInFlight.decrementAndGet();
                }
            };
            ctx.channel().closeFuture().addListener(f -> done.run());
            ctx.executor().schedule(() -> {
                done.run();
                send(ctx, full(HttpResponseStatus.OK, ("{\"seq\":" + seq + "}").getBytes(StandardCharsets.UTF_8),
                        "application/json"), keepAlive);
            }, ms, TimeUnit.MILLISECONDS);
        }

        private void streamForever(ChannelHandlerContext ctx, int n) {
            if (!ctx.channel().isActive()) {
                return;
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("tick " + n + "\n", StandardCharsets.UTF_8)));
            ctx.executor().schedule(() -> streamForever(ctx, n + 1), 10, TimeUnit.MILLISECONDS);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static FullHttpResponse full(HttpResponseStatus status, byte[] body, String type) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    private static HttpResponse chunkedHead(String type) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, type)
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        return head;
    }

    private static DefaultHttpContent event(int i) {
        ByteBuf data = Unpooled.copiedBuffer("data: {\"event\":" + i + "}\n\n", StandardCharsets.UTF_8);
        return new DefaultHttpContent(data);
    }

    public static byte[] jsonOfSize(int size) {
        StringBuilder sb = new StringBuilder(size);
        sb.append("{\"data\":\"");
        while (sb.length() < size - 2) {
            sb.append('x');
        }
        sb.append("\"}");
        return sb.substring(0, Math.max(size, 0)).getBytes(StandardCharsets.UTF_8);
    }

    private static int intParam(QueryStringDecoder query, String name, int fallback) {
        List<String> values = query.parameters().get(name);
        return values == null ? fallback : Integer.parseInt(values.get(0));
    }
}
