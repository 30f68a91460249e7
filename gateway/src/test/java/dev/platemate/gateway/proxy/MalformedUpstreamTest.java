package dev.platemate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.RawUpstream;
import dev.platemate.gateway.testing.TestGateway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Whatever an upstream sends before or instead of a valid head, the client gets one clean 502. */
class MalformedUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "garbage before the head|NOT HTTP AT ALL\\r\\n\\r\\n|false",
        "a bad status line|HTTP/1.1 abc OK\\r\\nContent-Length: 0\\r\\n\\r\\n|false",
        "Content-Length with Transfer-Encoding|HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n|false",
        "a reset before the head||true",
        "a close before the head||false",
    })
    void answersOne502(String name, String raw, boolean reset) throws Exception {
        String answer = raw == null ? "" : raw.replace("\\r\\n", "\r\n");
        try (RawUpstream upstream = new RawUpstream(answer, reset);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(), "retries: 0"))) {
            try (RawClient client = new RawClient(gateway.port())) {
                client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n");
                String head = client.readHead();
                assertThat(head).as(name).startsWith("HTTP/1.1 502");
                int length = Integer.parseInt(head.replaceAll("(?s).*content-length: (\\d+).*", "$1"));
                assertThat(JSON.readTree(client.readBytes(length)).get("error").get("type").asText())
                        .isEqualTo("upstream_unavailable");
            }
            assertThat(gateway.upstream("test").idle()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "huge headers|HTTP/1.1 200 OK\\r\\nX-Big: HUGE\\r\\nContent-Length: 0\\r\\n\\r\\n",
    })
    void oversizedResponseHeadersAre502(String name, String raw) throws Exception {
        String answer = raw.replace("\\r\\n", "\r\n").replace("HUGE", "h".repeat(100_000));
        try (RawUpstream upstream = new RawUpstream(answer, false);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(), "retries: 0"))) {
            assertThat(gateway.get("/api/x").statusCode()).as(name).isEqualTo(502);
        }
    }
}
