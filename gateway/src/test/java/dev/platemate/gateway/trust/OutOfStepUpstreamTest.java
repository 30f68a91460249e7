package dev.platemate.gateway.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.ScriptedUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An upstream that sends more than its response's length is out of step: whatever follows would be read as the
 * next response. Its connection is closed, never pooled, on every path (plain relay, decoder, cache fill, HEAD),
 * so the next request on the same client connection gets the upstream's real answer.
 */
class OutOfStepUpstreamTest {

    private static final String EXTRA = "these bytes are past the length";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a plain relay|GET|/api/long|/long",
        "the decoder (a head with Via)|GET|/api/long-via|/long-via",
        "a cache fill|GET|/cached/long|/long",
        "a HEAD answered with a body|HEAD|/api/head|/head",
    })
    void theNextRequestGetsItsOwnAnswer(String name, String method, String path, String upstreamPath)
            throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(Map.of(
                "/long", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nCache-Control: max-age=60\r\n\r\n0123456789"
                        + EXTRA,
                "/long-via", "HTTP/1.1 200 OK\r\nVia: 1.1 elsewhere\r\nContent-Length: 10\r\n\r\n0123456789" + EXTRA,
                "/head", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
                "/next", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nright"));
             TestGateway gateway = TestGateway.start(config(upstream.url()));
             RawClient client = new RawClient(gateway.port())) {
            client.send(method + " " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            String first = client.readHead();
            assertThat(first).as(name).startsWith("HTTP/1.1 200");
            if (method.equals("GET")) {
                assertThat(client.readBytes(10)).isEqualTo("0123456789");
            }
            client.send("GET /api/next HTTP/1.1\r\nHost: x\r\n\r\n");
            String second = client.readHead();
            assertThat(second).as(name + ", then the next request").startsWith("HTTP/1.1 200");
            assertThat(client.readBytes(5)).isEqualTo("right");
            assertThat(upstream.connections.get()).as("the out-of-step connection was not reused").isEqualTo(2);
        }
    }

    private static String config(String url) throws Exception {
        return TestGateway.config(url, "retries: 0").replace("routes:\n", """
                routes:
                  - path: /cached/
                    upstream: test
                    strip_prefix: true
                    cache: {ttl: 10m}
                """);
    }
}
