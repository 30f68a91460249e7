package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.config.DataSize;
import dev.platemate.gateway.config.ServerConfig;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.testing.RawClient;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The backstop behind every deadline, with exchanges that lost their way (as a bug would leave them): one that
 * never answers gets its 500, one that stops halfway has its connection cut, and both are told to release.
 */
class BackstopTest {

    private static final Backstop SHORT = new Backstop(TimeUnit.MILLISECONDS.toNanos(300),
            TimeUnit.MILLISECONDS.toNanos(300));

    private final Transport transport = Transport.detect();
    private final EventLoopGroup acceptor = transport.newGroup(1, "backstop-accept");
    private final EventLoopGroup workers = transport.newGroup(1, "backstop-io");
    private final Lifecycle lifecycle = new Lifecycle();
    private final AtomicBoolean released = new AtomicBoolean();

    @AfterEach
    void stop() throws Exception {
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void anExchangeThatNeverAnswersGetsA500() throws Exception {
        int port = serve(false);
        try (RawClient client = new RawClient(port)) {
            client.send("GET /lost HTTP/1.1\r\nHost: x\r\n\r\n");
            String head = client.readHead();
            assertThat(head).startsWith("HTTP/1.1 500").containsIgnoringCase("connection: close");
            assertThat(client.readToEnd()).contains("\"internal_error\"");
        }
        await().untilAsserted(() -> assertThat(released).isTrue());
        await().untilAsserted(() -> assertThat(lifecycle.inFlight()).isZero());
    }

    @Test
    void anExchangeThatStopsHalfwayIsCut() throws Exception {
        int port = serve(true);
        try (RawClient client = new RawClient(port)) {
            client.send("GET /halfway HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200");
            String rest = client.readToEnd();
            assertThat(rest).contains("half").doesNotContain("0\r\n\r\n");
        }
        await().untilAsserted(() -> assertThat(released).isTrue());
    }

    /** A gateway server whose every request goes to an exchange that answers nothing, or half. */
    private int serve(boolean half) throws Exception {
        ServerConfig config = new ServerConfig("127.0.0.1", 0, 1, 100, DataSize.ofKibibytes(8),
                DataSize.ofKibibytes(32), DataSize.ofMebibytes(1), Duration.ofSeconds(1), Duration.ofSeconds(60),
                Duration.ofSeconds(1), List.of());
        RequestDispatcher lost = new RequestDispatcher() {
            @Override
            public Exchange dispatch(HttpRequest request, ClientSide client) {
                if (half) {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    client.write(head);
                    client.write(new DefaultHttpContent(Unpooled.copiedBuffer("half", StandardCharsets.US_ASCII)));
                    client.flush();
                }
                return new Exchange() {
                    @Override
                    public void onRequestContent(HttpContent content) {
                        content.release();
                    }

                    @Override
                    public void abort(GatewayError error, String message) {
                    }

                    @Override
                    public void onClientWritabilityChanged() {
                    }

                    @Override
                    public void onClientClosed() {
                        released.set(true);
                    }
                };
            }

            @Override
            public Backstop backstop() {
                return SHORT;
            }
        };
        GatewayServer server = new GatewayServer(config, transport, acceptor, workers, lost, RequestListener.NONE,
                lifecycle, Probe.NONE);
        return server.start().getPort();
    }
}
