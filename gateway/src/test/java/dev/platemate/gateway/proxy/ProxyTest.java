package dev.platemate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import dev.platemate.gateway.testing.RawClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Requests and responses pass through unchanged but for the headers a proxy must rewrite. */
class ProxyTest {

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
    void getIsRoutedWithPrefixStrippedAndQueryKept() throws Exception {
        HttpResponse<String> response = gateway.get("/api/echo/v1/models?limit=3&q=a%20b");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = JSON.readTree(response.body());
        assertThat(echo.get("method").asText()).isEqualTo("GET");
        assertThat(echo.get("uri").asText()).isEqualTo("/echo/v1/models?limit=3&q=a%20b");
    }

    @Test
    void postBodyArrivesIntactAndResponseBodyReturns() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(100_000)
                + "\"}]}";
        HttpResponse<String> response = gateway.post("/api/echo/chat", body);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("body").asText()).isEqualTo(body);
    }

    @Test
    void chunkedUploadStreamsThrough() throws Exception {
        byte[] part = "0123456789".repeat(1000).getBytes();
        HttpResponse<String> response = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/api/echo/up"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
                        new java.io.ByteArrayInputStream(part), new java.io.ByteArrayInputStream(part))))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = JSON.readTree(response.body());
        assertThat(echo.get("body").asText()).hasSize(2 * part.length);
        assertThat(echo.get("headers").get("x-seen-framing").asText()).isEqualTo("chunked");
    }

    @Test
    void headersAreRewrittenForTheUpstream() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/echo HTTP/1.1\r\nHost: gw.local:8080\r\nConnection: keep-alive, X-Secret-Hop\r\n"
                    + "X-Secret-Hop: drop-me\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic abc\r\n"
                    + "Upgrade: websocket\r\nTE: trailers\r\nX-Forwarded-For: 6.6.6.6\r\nX-Custom: kept\r\n"
                    + "Authorization: Bearer client-key\r\n\r\n");
            String head = client.readHead();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("via: 1.1 platemate-gateway")
                    .containsIgnoringCase("server-timing: upstream;dur=");
        }
        TestUpstream.Recorded seen = upstream.requests.poll(5, TimeUnit.SECONDS);
        assertThat(seen.headers())
                .containsEntry("host", "127.0.0.1:" + upstream.port())
                .containsEntry("x-forwarded-for", "127.0.0.1")
                .containsEntry("x-forwarded-host", "gw.local:8080")
                .containsEntry("x-forwarded-proto", "http")
                .containsEntry("via", "1.1 platemate-gateway")
                .containsEntry("x-custom", "kept")
                .containsEntry("authorization", "Bearer sk-test-secret")
                .doesNotContainKeys("connection", "x-secret-hop", "keep-alive", "proxy-authorization", "upgrade",
                        "te");
    }

    /** The response's head as the client gets it, and its body; then a second request on the same connection. */
    private String[] hop(String query) throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/hop" + query + " HTTP/1.1\r\nHost: x\r\n\r\n");
            String head = client.readHead();
            String body = client.readBytes("hop body".length());
            client.send("GET /api/json?size=10 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200").contains("content-length: 10\r\n");
            assertThat(client.readBytes(10)).hasSize(10); // the connection is still in step
            return new String[] {head, body};
        }
    }

    @Test
    void aPlainResponseLosesItsHopByHopHeadersAndKeepsTheRest() throws Exception {
        String[] answer = hop("");
        assertThat(answer[0]).startsWith("HTTP/1.1 200 OK\r\n").contains("content-length: 8\r\n")
                .contains("X-Kept: yes\r\n").contains("via: 1.1 platemate-gateway\r\n")
                .containsPattern("server-timing: upstream;dur=\\d+\r\n")
                .doesNotContainPattern("(?i)keep-alive|proxy-authenticate|trailer|connection");
        assertThat(answer[1]).isEqualTo("hop body");
    }

    @Test
    void aPlainResponseToAClientThatClosesSaysCloseAndCloses() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String answer = client.readToEnd();
            assertThat(answer).startsWith("HTTP/1.1 200").contains("X-Kept: yes\r\n")
                    .contains("connection: close\r\n").endsWith("\r\n\r\nhop body");
        }
    }

    @Test
    void headersNamedByConnectionAndAnEarlierViaAreHandled() throws Exception {
        String[] answer = hop("?connection=X-Secret&via=1.0%20edge");
        assertThat(answer[0]).startsWith("HTTP/1.1 200").containsIgnoringCase("x-kept: yes")
                .containsIgnoringCase("via: 1.0 edge, 1.1 platemate-gateway")
                .doesNotContainPattern("(?i)x-secret|keep-alive|proxy-authenticate|trailer|connection");
        assertThat(answer[1]).isEqualTo("hop body");
    }

    @Test
    void anUpstreamThatSaysCloseAfterAPlainResponseIsNotReused() throws Exception {
        int before = upstream.accepted.get();
        String[] answer = hop("?connection=close");
        assertThat(answer[0]).doesNotContainPattern("(?i)connection");
        assertThat(answer[1]).isEqualTo("hop body");
        // the test upstream leaves the connection open: only the gateway's reading of "close" makes it open another
        assertThat(upstream.accepted.get() - before).isEqualTo(2);
    }

    @Test
    void anEmptyConfiguredKeyLetsTheClientsOwnThrough() throws Exception {
        gateway = fixture.restart(TestGateway.config(upstream.url()).replace("${TEST_KEY:-sk-test-secret}",
                "${UNSET_KEY:-}"));
        gateway.client().send(java.net.http.HttpRequest.newBuilder(gateway.uri("/api/echo"))
                .header("Authorization", "Bearer client-own").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upstream.requests.poll(5, TimeUnit.SECONDS).headers())
                .containsEntry("authorization", "Bearer client-own");
    }

    @Test
    void trustedProxyKeepsForwardedForChain() throws Exception {
        String yaml = TestGateway.config(upstream.url()).replace("  shutdown_timeout: 5s",
                "  shutdown_timeout: 5s\n  trusted_proxies: [127.0.0.0/8]");
        gateway = fixture.restart(yaml);
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/echo HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n").readHead();
        }
        assertThat(upstream.requests.poll(5, TimeUnit.SECONDS).headers())
                .containsEntry("x-forwarded-for", "10.1.2.3, 127.0.0.1");
    }

    @Test
    void upstreamStatusesAndChunkedBodiesPassThrough() throws Exception {
        HttpResponse<String> notFound = gateway.get("/api/status/404");
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.body()).isEqualTo("status 404");

        HttpResponse<String> chunked = gateway.get("/api/chunked?chunks=4");
        assertThat(chunked.body()).isEqualTo("chunk-0\nchunk-1\nchunk-2\nchunk-3\n");
    }

    @Test
    void headRequestGetsHeadersWithoutBody() throws Exception {
        HttpResponse<String> response = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/api/json?size=500"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-length")).hasValue("500");
        assertThat(response.body()).isEmpty();
        assertThat(gateway.get("/api/json?size=20").body()).hasSize(20); // the connection is still in step
    }

    @Test
    void closeDelimitedUpstreamBodyIsChunkedToTheClient() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/http10 HTTP/1.1\r\nHost: x\r\n\r\n");
            String head = client.readHead();
            assertThat(head).containsIgnoringCase("transfer-encoding: chunked");
            assertThat(client.readBytes("b\r\nuntil close\r\n0\r\n\r\n".length()))
                    .isEqualTo("b\r\nuntil close\r\n0\r\n\r\n");
        }
    }

    @Test
    void unknownPathsAreNotProxied() throws Exception {
        HttpResponse<String> response = gateway.get("/elsewhere/v1");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(response.body()).get("error").get("type").asText()).isEqualTo("no_route");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void pathWithoutTrailingSlashMatchesItsRoute() throws Exception {
        HttpResponse<String> response = gateway.get("/api");
        assertThat(response.statusCode()).isEqualTo(404); // the upstream's own 404 for "/"
        assertThat(response.body()).isEqualTo("unknown test path");
        assertThat(upstream.requests.poll(5, TimeUnit.SECONDS).uri()).isEqualTo("/");
    }

    @Test
    void keepAliveConnectionServesManyRequests() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            for (int i = 0; i < 5; i++) {
                client.send("GET /api/json?size=10 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.readHead()).startsWith("HTTP/1.1 200").contains("content-length: 10");
                assertThat(client.readBytes(10)).hasSize(10);
            }
        }
        assertThat(upstream.accepted.get()).isEqualTo(1);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /api/json?size=7 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).contains("content-length: 4");
            assertThat(client.readBytes(4)).isEqualTo("slow");
            assertThat(client.readHead()).contains("content-length: 7");
            assertThat(client.readBytes(7)).hasSize(7);
            assertThat(client.readHead()).contains("content-length: 15");
            assertThat(client.readBytes(15)).isEqualTo("{\"status\":\"ok\"}");
        }
    }

    @Test
    void http10ClientGetsItsAnswerAndTheConnectionCloses() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/json?size=12 HTTP/1.0\r\n\r\n");
            String all = client.readToEnd();
            assertThat(all).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            assertThat(all).endsWith("\r\n\r\n" + new String(TestUpstream.jsonOfSize(12)));
        }
    }

    @Test
    void responseTimingHeaderIsSet() throws Exception {
        HttpResponse<String> response = gateway.get("/api/slow?ms=50");
        assertThat(response.headers().firstValue("server-timing").orElseThrow())
                .matches("upstream;dur=\\d+");
        assertThat(Duration.ofMillis(Long.parseLong(response.headers().firstValue("server-timing").orElseThrow()
                .replace("upstream;dur=", "")))).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }
}
