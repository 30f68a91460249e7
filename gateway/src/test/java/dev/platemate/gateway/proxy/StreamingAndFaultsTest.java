package dev.platemate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Server-sent events stream through; upstream faults end in the right error or a cut connection. */
class StreamingAndFaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();
    private TestUpstream upstream;
    private TestGateway gateway;

    @BeforeEach
    void bind() {
        upstream = fixture.upstream();
        gateway = fixture.gateway();
    }

    @Test
    void firstEventArrivesBeforeTheUpstreamSendsItsLast() throws Exception {
        HttpResponse<InputStream> response = gateway.client().send(
                HttpRequest.newBuilder(gateway.uri("/api/sse?events=3")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        try (BufferedReader events = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            // the upstream holds event 3 until released: reading event 1 proves chunks are not buffered
            assertThat(events.readLine()).isEqualTo("data: {\"event\":1}");
            assertThat(events.readLine()).isEmpty();
            assertThat(events.readLine()).isEqualTo("data: {\"event\":2}");
            upstream.releaseLastEvent();
            assertThat(events.readLine()).isEmpty();
            assertThat(events.readLine()).isEqualTo("data: {\"event\":3}");
        }
    }

    @Test
    void largeBodiesStreamBothWaysIntact() throws Exception {
        String big = "0123456789abcdef".repeat(512 * 1024); // 8 MiB up, and echoed back down
        HttpResponse<InputStream> response = gateway.client().send(
                HttpRequest.newBuilder(gateway.uri("/api/echo/big")).POST(HttpRequest.BodyPublishers.ofString(big))
                        .build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            JsonNode echo = JSON.readTree(body);
            assertThat(echo.get("body").asText()).isEqualTo(big);
        }
    }

    @Test
    void upstreamDownIs502Json() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        gateway = fixture.restart(TestGateway.config("http://127.0.0.1:" + closedPort));

        HttpResponse<String> response = gateway.get("/api/anything");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("upstream_unavailable");
        assertThat(error.get("code").asInt()).isEqualTo(502);
        assertThat(error.get("message").asText()).contains("test");
        assertThat(gateway.upstream("test").connectFailures()).isEqualTo(2); // tried once more (retries: 1)
    }

    @Test
    void connectTimeoutIs504() throws Exception {
        // a listener that never accepts, with its backlog filled: the kernel drops further SYNs, so connect hangs
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket filler = new Socket();
                    try {
                        filler.connect(full.getLocalSocketAddress(), 200);
                        fillers.add(filler);
                    } catch (IOException e) {
                        filler.close();
                        break; // the backlog is full
                    }
                }
                gateway = fixture.restart(TestGateway.config("http://127.0.0.1:" + full.getLocalPort()));

                HttpResponse<String> response = gateway.get("/api/x");

                assertThat(response.statusCode()).isEqualTo(504);
                assertThat(JSON.readTree(response.body()).get("error").get("type").asText())
                        .isEqualTo("upstream_timeout");
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void hangingUpstreamIs504AfterTheResponseTimeout() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = gateway.get("/api/hang");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(JSON.readTree(response.body()).get("error").get("type").asText()).isEqualTo("upstream_timeout");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0); // never pooled
    }

    @Test
    void resetMidBodyCutsTheClientConnection() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/reset HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200").contains("content-length: 1000");
            String rest = client.readToEnd();
            assertThat(rest.length()).isLessThan(1000); // cut short: never a complete-looking response
        }
        assertThat(gateway.upstream("test").idle()).isZero();
    }

    @Test
    void upstreamSilentMidResponseIsCutByItsIdleTimeout() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/drip HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200").contains("transfer-encoding: chunked");
            String rest = client.readToEnd(); // ends when the gateway cuts, after idle_timeout (2s)
            assertThat(rest).contains("first").doesNotEndWith("0\r\n\r\n");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0);
    }

    @Test
    void clientAbortMidResponseClosesTheUpstreamConnection() throws Exception {
        RawClient client = new RawClient(gateway.port());
        client.send("GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(client.readHead()).startsWith("HTTP/1.1 200");
        client.readBytes(10);
        await().until(() -> gateway.upstream("test").active() == 1);

        client.abort();

        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0);
        assertThat(gateway.upstream("test").idle()).isZero();
        assertThat(gateway.upstream("test").active()).isZero();
    }

    @Test
    void clientAbortWhileWaitingForTheHeadClosesTheUpstreamConnection() throws Exception {
        RawClient client = new RawClient(gateway.port());
        client.send("GET /api/hang HTTP/1.1\r\nHost: x\r\n\r\n");
        await().until(() -> upstream.requests.size() == 1);

        client.abort();

        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0);
        assertThat(gateway.upstream("test").idle()).isZero();
    }

    @Test
    void upstreamConnectionCloseIsHonouredAndNotPooled() throws Exception {
        assertThat(gateway.get("/api/close").body()).isEqualTo("bye");
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0);
        assertThat(gateway.upstream("test").idle()).isZero();
        assertThat(gateway.get("/api/json?size=3").statusCode()).isEqualTo(200);
        assertThat(upstream.accepted.get()).isEqualTo(2);
    }
}
