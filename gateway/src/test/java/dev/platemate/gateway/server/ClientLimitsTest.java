package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server: limits, framing and routing safety, checked with raw bytes over real sockets. */
class ClientLimitsTest {

    private TestUpstream upstream;
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.plain();
        gateway = TestGateway.start(TestGateway.config(upstream.url()).replace("  shutdown_timeout: 5s\n",
                "  shutdown_timeout: 5s\n  max_request_line: 1KiB\n  max_header_size: 2KiB\n  max_body_size: 10KiB\n"
                        + "  header_timeout: 500ms\n  idle_timeout: 1s\n  max_connections: 3\n"));
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        upstream.close();
    }

    private String answer(String request) throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send(request);
            return client.readToEnd();
        }
    }

    @Test
    void longRequestLineIs414() throws Exception {
        assertThat(answer("GET /api/" + "a".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))
                .startsWith("HTTP/1.1 414").contains("\"type\":\"uri_too_long\"").contains("connection: close");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void largeHeadersAre431() throws Exception {
        assertThat(answer("GET /api/echo HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(3000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431").contains("\"type\":\"headers_too_large\"");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void bodyTooLargeByContentLengthIs413BeforeTheBodyIsSent() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            String head = client.readHead(); // no body byte was sent, yet the answer comes
            assertThat(head).startsWith("HTTP/1.1 413").contains("connection: close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        String chunk = Integer.toHexString(6000) + "\r\n" + "c".repeat(6000) + "\r\n";
        String answer = answer("POST /api/hang HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk + chunk + "0\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 413").contains("\"type\":\"payload_too_large\"");
    }

    @Test
    void expectContinueGets100ThenTheAnswer() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 100 Continue");
            client.send("hello");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200");
        }
        assertThat(upstream.requests.poll().headers()).doesNotContainKey("expect");
    }

    @Test
    void unknownExpectationIs417() throws Exception {
        assertThat(answer("GET /api/echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n")).startsWith("HTTP/1.1 417");
    }

    @Test
    void missingHostIs400() throws Exception {
        assertThat(answer("GET /api/echo HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400")
                .contains("Host header is missing");
    }

    @Test
    void contentLengthWithTransferEncodingIs400AndNothingIsForwarded() throws Exception {
        assertThat(answer("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void connectIs405() throws Exception {
        assertThat(answer("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
                .startsWith("HTTP/1.1 405").contains("method_not_allowed");
    }

    @Test
    void absoluteUriToAnotherHostIs404AndNothingIsForwarded() throws Exception {
        assertThat(answer("GET http://evil.example/api/echo HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 404").contains("no_route");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void absoluteUriNamingTheRequestHostIsRouted() throws Exception {
        assertThat(answer("GET http://gateway/api/echo HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
    }

    @Test
    void dotSegmentsAreRefused() throws Exception {
        for (String path : new String[] {"/api/../health/live", "/api/%2e%2e/admin", "/api/.%2E/x", "/api/./x"}) {
            assertThat(answer("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")).as(path).startsWith("HTTP/1.1 400");
        }
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void repeatedSlashesAreCollapsed() throws Exception {
        assertThat(answer("GET //api//echo//x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        assertThat(upstream.requests.poll().uri()).isEqualTo("/echo/x");
    }

    @Test
    void trickledHeadIs408AtTheHeaderTimeout() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/echo HTTP/1.1\r\nHost: x\r\n"); // never finished
            String answer = client.readToEnd();
            assertThat(answer).startsWith("HTTP/1.1 408").contains("request_timeout");
        }
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void aHeadAnswerEndsAtItsHeadAndTheNextAnswerHasItsBody() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("HEAD /api/chunked HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200");
            client.send("GET /api/echo HTTP/1.1\r\nHost: x\r\n"); // then the head stalls
            // any body byte after the HEAD answer would come first; the 408 of the connection's own has its body
            assertThat(client.readToEnd()).startsWith("HTTP/1.1 408").endsWith("}}");
        }
    }

    @Test
    void aStalledBodyIs408AndTheUpstreamRequestIsAbandoned() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("POST /api/hang HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
            String answer = client.readToEnd(); // then nothing more: the body stalls
            assertThat(answer).startsWith("HTTP/1.1 408").contains("request body stopped arriving");
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> upstream.open.get() == 0);
    }

    @Test
    void aSlowButSteadyBodyIsNotCut() throws Exception {
        java.util.concurrent.ScheduledExecutorService pacer = java.util.concurrent.Executors.newScheduledThreadPool(1);
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n");
            // a part every 200 ms: each gap well within the 500 ms timeout, the whole (800 ms) beyond it
            String[] parts = {"ab", "cd", "ef", "gh"};
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i];
                pacer.schedule(() -> {
                    client.send(part);
                    return null;
                }, 200L * (i + 1), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            assertThat(client.readHead()).startsWith("HTTP/1.1 200");
        } finally {
            pacer.shutdownNow();
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200");
            client.readBytes(15);
            assertThat(client.closedByServer()).isTrue(); // 1s idle timeout, 15s socket timeout
        }
    }

    @Test
    void connectionsBeyondMaxConnectionsAreClosed() throws Exception {
        try (RawClient a = new RawClient(gateway.port());
             RawClient b = new RawClient(gateway.port());
             RawClient c = new RawClient(gateway.port())) {
            for (RawClient client : new RawClient[] {a, b, c}) {
                client.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(client.readHead()).startsWith("HTTP/1.1 200");
            }
            try (RawClient d = new RawClient(gateway.port())) { // the fourth, once three are surely counted
                assertThat(d.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void badHttpVersionIs505() throws Exception {
        assertThat(answer("GET /api/echo HTTP/1.2\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 505");
    }
}
