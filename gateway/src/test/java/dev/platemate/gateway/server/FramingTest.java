package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.RawClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Framing the gateway refuses, as raw bytes: each gets its error, the connection closes after it, and nothing
 * reaches the upstream, not even a request pipelined behind it.
 */
class FramingTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private String answer(String request) throws Exception {
        try (RawClient client = new RawClient(fixture.gateway().port())) {
            client.send(request);
            return client.readToEnd();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "two different Content-Length|400|Content-Length: 5\\r\\nContent-Length: 6",
        "Content-Length +5|400|Content-Length: +5",
        "Content-Length -1|400|Content-Length: -1",
        "Content-Length 0x10|400|Content-Length: 0x10",
        "Content-Length list|400|Content-Length: 1, 2",
        "Content-Length overflow|400|Content-Length: 99999999999999999999999",
        "Transfer-Encoding not ending in chunked|400|Transfer-Encoding: chunked, gzip",
        "chunked twice|400|Transfer-Encoding: chunked, chunked",
        "an unknown coding|501|Transfer-Encoding: gzip",
        "whitespace before the colon|400|X-Bad : value",
        "obs-fold|400|X-Folded: one\\r\\n two",
        "a NUL in a value|400|X-Nul: a\\u0000b",
        "a bare CR in a value|400|X-Cr: a\\rb",
        "an invalid header name|400|X(Bad): value",
        "two Host headers|400|Host: other",
        "Content_Length|400|Content_Length: 5",
        "Transfer_Encoding|400|Transfer_Encoding: chunked",
        "a run of dashes|400|Content--Length: 5",
        "underscores and dashes|400|transfer-_encoding: chunked",
    })
    void badHeadsAreRefusedAndNothingIsForwarded(String name, int status, String extra) throws Exception {
        String headers = extra.replace("\\r\\n", "\r\n").replace("\\r", "\r").replace("\\u0000", "\u0000");
        String answer = answer("POST /api/echo HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n\r\n"
                + "GET /api/echo/pipelined HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answer).as(name).startsWith("HTTP/1.1 " + status).contains("connection: close")
                .doesNotContain("pipelined");
        assertThat(fixture.upstream().requests).as(name).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a tab before the target|GET\t/api/echo HTTP/1.1",
        "a tab before the version|GET /api/echo\tHTTP/1.1",
        "raw non-ASCII in the target|GET /api/echo/\u00d1\u0081 HTTP/1.1",
        "a control byte in the target|GET /api/echo/\u0001 HTTP/1.1",
    })
    void aRequestLineWithAnythingButSpacesAndVisibleAsciiIsRefused(String name, String line) throws Exception {
        // the Java escapes above are the raw characters; the client sends them as ISO-8859-1 bytes
        String answer = answer(line + "\r\nHost: x\r\n\r\n");
        assertThat(answer).as(name).startsWith("HTTP/1.1 400").contains("connection: close");
        assertThat(fixture.upstream().requests).as(name).isEmpty();
    }

    @Test
    void aGetWithBothKeysOfTheOldWebSocketHandshakeIsRefused() throws Exception {
        // Netty reads 8 bytes after such a head as its body (draft-76); sent on with no framing, an upstream would
        // read them as the start of the next request
        String answer = answer("GET /api/echo HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key1: 1 2\r\n"
                + "Sec-WebSocket-Key2: 3 4\r\n\r\nGET /x/1\r\nGET /api/echo/pipelined HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400").contains("connection: close").doesNotContain("pipelined");
        assertThat(fixture.upstream().requests).isEmpty();
    }

    @Test
    void ordinaryNamesThatBeginLikeFramingOnesStillPass() throws Exception {
        String answer = answer("GET /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                + "Content-Language: en\r\nTE-Extra: 1\r\nTransfer-Mode: x\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200");
    }

    @Test
    void aFoldedLineInAPipelinedHeadIsRefusedToo() throws Exception {
        String answer = answer("GET /api/echo/first HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /api/echo/second HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n"
                + "GET /api/echo/third HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200").contains("HTTP/1.1 400").contains("obs-fold")
                .doesNotContain("second").doesNotContain("third");
        assertThat(fixture.upstream().requests).extracting(r -> r.uri()).containsExactly("/echo/first");
    }

    @Test
    void transferEncodingOnHttp10IsRefused() throws Exception {
        assertThat(answer("POST /api/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
                .startsWith("HTTP/1.1 400");
        assertThat(fixture.upstream().requests).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a bad chunk size|zz\\r\\nhello\\r\\n0\\r\\n\\r\\n",
        "a missing CRLF after the chunk|5\\r\\nhelloXX0\\r\\n\\r\\n",
    })
    void aBrokenChunkedBodyAbortsTheForwardedRequest(String name, String body) throws Exception {
        try (RawClient client = new RawClient(fixture.gateway().port())) {
            client.send("POST /api/hang HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            // the head is forwarded as soon as it arrives; then the body turns out broken
            org.awaitility.Awaitility.await().until(() -> fixture.upstream().open.get() == 1);
            client.send(body.replace("\\r\\n", "\r\n"));
            String answer = client.readToEnd();
            assertThat(answer).as(name).startsWith("HTTP/1.1 400").contains("connection: close");
        }
        // the upstream saw only part of a request, so its connection is closed: nothing is half-forwarded
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> fixture.upstream().open.get() == 0);
        assertThat(fixture.upstream().requests).isEmpty();
    }
}
