package dev.platemate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.RawUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the upstream receives over the wire: a simple head goes as the client's own lines (normalised), without those
 * the rewrite removes or sets, with the rewritten ones after them; a head that takes Netty's way (a value with a
 * byte outside ASCII) arrives in the same order and bytes.
 */
class UpstreamHeadTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a simple head, made from its lines||",
        "a head with a byte outside ASCII, Netty's way|X-Caf: caf\u00e9\\r\\n|",
        "a head with a body framed by its length, made from its lines too|Content-Length: 2\\r\\n|ab",
    })
    void theUpstreamReceivesTheClientsLinesThenTheRewrite(String name, String extra, String body) throws Exception {
        String extraLine = extra == null ? "" : extra.replace("\\r\\n", "\r\n");
        String content = body == null ? "" : body;
        String method = content.isEmpty() ? "GET" : "POST";
        try (RawUpstream upstream = new RawUpstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(), "retries: 0"))) {
            try (RawClient client = new RawClient(gateway.port())) {
                client.send(method + " /api/v1/models?x=1 HTTP/1.1\r\nHost: gw.local\r\nAccept:   */*  \r\n"
                        + "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\n" + extraLine + "User-Agent: t\r\n"
                        + "Via: 1.0 edge\r\nAuthorization: Bearer client-key\r\n\r\n" + content);
                assertThat(client.readHead()).as(name).startsWith("HTTP/1.1 200");
            }
            String received = upstream.heads.poll(5, TimeUnit.SECONDS);
            assertThat(received).as(name).isEqualTo(method + " /v1/models?x=1 HTTP/1.1\r\nAccept: */*\r\n"
                    + extraLine + "User-Agent: t\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\n"
                    + "x-forwarded-host: gw.local\r\nvia: 1.0 edge, 1.1 platemate-gateway\r\n"
                    + "host: " + upstream.url().substring("http://".length()) + "\r\n"
                    + "Authorization: Bearer sk-test-secret\r\n\r\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a simple head|",
        "a head that goes Netty's way|X-Caf: caf\u00e9\\r\\n",
    })
    void aLengthNamedInConnectionStillFramesTheBodyUpstream(String name, String extra) throws Exception {
        String extraLine = extra == null ? "" : extra.replace("\\r\\n", "\r\n");
        try (RawUpstream upstream = new RawUpstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(), "retries: 0"))) {
            try (RawClient client = new RawClient(gateway.port())) {
                // without its length the body would reach the upstream as the start of the next request
                client.send("POST /api/v1/x HTTP/1.1\r\nHost: gw.local\r\nConnection: keep-alive, Content-Length\r\n"
                        + extraLine + "Content-Length: 2\r\n\r\nab");
                assertThat(client.readHead()).as(name).startsWith("HTTP/1.1 200");
            }
            assertThat(upstream.heads.poll(5, TimeUnit.SECONDS)).as(name).contains("\r\nContent-Length: 2\r\n");
        }
    }

    @Test
    void aResponsesLengthNamedInConnectionStaysToo() throws Exception {
        try (RawUpstream upstream = new RawUpstream(
                "HTTP/1.1 200 OK\r\nConnection: keep-alive, Content-Length\r\nContent-Length: 2\r\n\r\nok", false);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(), "retries: 0"));
             RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/v1/models HTTP/1.1\r\nHost: gw.local\r\n\r\n");
            assertThat(client.readHead()).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\ncontent-length: 2\r\n")
                    .doesNotContainIgnoringCase("transfer-encoding");
        }
    }
}
