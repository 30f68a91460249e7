package dev.platemate.gateway.stub;

import dev.platemate.gateway.server.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A stand-in for the backend's providers, for {@code gateway bench}, docker compose and demos, with no network
 * needed: HTTPS with a self-signed certificate (the one in {@code config/stub-upstream-cert.pem}) and, optionally,
 * plain HTTP. It serves an OpenAI-style chat completion that takes {@code aiLatency} and answers 429 with
 * {@code Retry-After: 1} above {@code aiMaxConcurrent} requests at once, and a food search. Its
 * {@link StubControls} change the concurrency limit and make completions fail while it runs.
 */
public final class StubUpstream implements AutoCloseable {

    /**
     * How it behaves.
     *
     * @param tokensPerMinute the tokens of chat completions it gives a minute before answering 429 as OpenAI does
     *                        (with its {@code x-ratelimit-*} headers); 0 for no such limit
     */
    public record Settings(Duration aiLatency, int aiMaxConcurrent, Duration foodLatency, long tokensPerMinute,
                           StubControls.Failure failure, OAuthClient oauth) {

        public Settings(Duration aiLatency, int aiMaxConcurrent, Duration foodLatency, long tokensPerMinute,
                        StubControls.Failure failure) {
            this(aiLatency, aiMaxConcurrent, foodLatency, tokensPerMinute, failure, OAuthClient.NONE);
        }

        public Settings(Duration aiLatency, int aiMaxConcurrent, Duration foodLatency, long tokensPerMinute) {
            this(aiLatency, aiMaxConcurrent, foodLatency, tokensPerMinute, StubControls.Failure.NONE);
        }

        public Settings(Duration aiLatency, int aiMaxConcurrent, Duration foodLatency) {
            this(aiLatency, aiMaxConcurrent, foodLatency, 0);
        }
    }

    /** The client its token endpoint knows, and how long its tokens live; empty: the food API wants none. */
    public record OAuthClient(String id, String secret, Duration tokenLifetime) {
        public static final OAuthClient NONE = new OAuthClient("", "", Duration.ofHours(24));

        @Override
        public String toString() {
            return "OAuthClient[" + (id.isEmpty() ? "none" : id) + "]";
        }
    }

    private final Settings settings;
    private final StubOAuth oauth;
    private final Transport transport;
    private final AtomicInteger aiActive = new AtomicInteger();
    private final LongAdder aiRejected = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final LongAdder aiServed = new LongAdder();
    private final StubControls controls;
    private final TokensPerMinute tokens;
    private EventLoopGroup group;

    public StubUpstream(Settings settings, Transport transport) {
        this.settings = settings;
        this.transport = transport;
        this.tokens = new TokensPerMinute(settings.tokensPerMinute(), System::nanoTime);
        this.controls = new StubControls(settings.aiMaxConcurrent(), settings.failure());
        this.oauth = new StubOAuth(settings.oauth().id(), settings.oauth().secret(), settings.oauth().tokenLifetime());
    }

    /** The PEM certificate the HTTPS listener presents, for clients that should trust it. */
    public static String certificatePem() {
        try (InputStream in = resource("stub-upstream-cert.pem")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Listens with TLS on {@code tlsPort} and, when {@code plainPort} is not negative, in plain HTTP on it; 0 picks
     * a free port. Returns the TLS address, then the plain one (or null).
     */
    public InetSocketAddress[] start(String host, int tlsPort, int plainPort) throws Exception {
        SslContext ssl;
        try (InputStream cert = resource("stub-upstream-cert.pem"); InputStream key = resource("stub-upstream-key.pem")) {
            ssl = SslContextBuilder.forServer(cert, key).build();
        }
        group = transport.newGroup(2, "stub-upstream");
        InetSocketAddress secure = listen(host, tlsPort, ssl);
        InetSocketAddress plain = plainPort < 0 ? null : listen(host, plainPort, null);
        return new InetSocketAddress[] {secure, plain};
    }

    private InetSocketAddress listen(String host, int port, SslContext ssl) throws InterruptedException {
        Channel channel = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new StubHandler(settings, controls, new StubHandler.Counts(aiActive, aiRejected, served, aiServed),
                                        tokens, oauth));
                    }
                }).bind(host, port).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** Chat completions refused with 429 so far. */
    public long aiRejected() {
        return aiRejected.sum();
    }

    /** What can change while it runs: its concurrency limit and how it fails. */
    public StubControls controls() {
        return controls;
    }

    /** Chat completions answered 200 so far. */
    public long aiServed() {
        return aiServed.sum();
    }

    /** Requests answered so far. */
    public long served() {
        return served.sum();
    }

    private static InputStream resource(String name) {
        InputStream in = StubUpstream.class.getResourceAsStream("/stub/" + name);
        if (in == null) {
            throw new IllegalStateException("the jar lacks /stub/" + name);
        }
        return in;
    }

    @Override
    public void close() throws InterruptedException {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
