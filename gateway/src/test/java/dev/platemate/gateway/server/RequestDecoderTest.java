package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The short way of {@link RequestDecoder} against Netty's own decoder with the same settings: for every input, in
 * the same pieces, both must give the same messages (method, target, version, headers in order, content, decoder
 * result); and the short way must have been taken as often as the case says.
 */
class RequestDecoderTest {

    private static HttpDecoderConfig config() {
        return new HttpDecoderConfig().setMaxInitialLineLength(64).setMaxHeaderSize(256).setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false).setStrictLineParsing(true);
    }

    private static final String GET = "GET /g HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

    static Stream<Arguments> inputs() {
        return Stream.of(
                Arguments.of("a simple GET", List.of("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"), 1),
                Arguments.of("HEAD with tabs, spaces and an empty value",
                        List.of("HEAD /h HTTP/1.1\r\nHost:\tx \t\r\nX-Empty:\r\nX-Sp:   v  w  \r\n\r\n"), 1),
                Arguments.of("two pipelined in one read", List.of(GET + GET), 2),
                Arguments.of("a head in two reads, held until it is whole, then a simple one",
                        List.of("GET /a HTTP/1.1\r\nHo", "st: x\r\n\r\n", GET), 2),
                Arguments.of("a POST head in two reads, then its body",
                        List.of("POST /p HTTP/1.1\r\nHost: x\r\nContent-Le", "ngth: 2\r\n\r\nab" + GET), 2),
                Arguments.of("a body in two reads, then a GET in the same read as its end",
                        List.of("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab", "cde" + GET), 2),
                Arguments.of("a body that reads like a request, in a read of its own", List.of(
                        "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n", SMUGGLED), 1),
                Arguments.of("a PUT and a POST with empty bodies, lengths in odd case and with leading zeros", List.of(
                        "PUT /u HTTP/1.1\r\ncontent-length: 0\r\n\r\nPOST /p HTTP/1.1\r\nCONTENT-Length:  007 \r\n\r\n"
                        + "1234567" + GET), 3),
                Arguments.of("a POST without a length has no body",
                        List.of("POST /p HTTP/1.1\r\nHost: x\r\n\r\n" + GET), 2),
                Arguments.of("a body cut off when the input ends", List.of(
                        "POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), 1),
                Arguments.of("a body in many reads", List.of("PUT /p HTTP/1.1\r\nContent-Length: 9\r\n\r\n", "a", "",
                        "bcd", "efghi" + GET), 2),
                Arguments.of("two lengths, which Netty refuses",
                        List.of("POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na" + GET), 0),
                Arguments.of("a length list", List.of("POST /a HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na" + GET), 0),
                Arguments.of("a signed length", List.of("POST /a HTTP/1.1\r\nContent-Length: +1\r\n\r\na" + GET), 0),
                Arguments.of("a length with a space", List.of("POST /a HTTP/1.1\r\nContent-Length: 1 2\r\n\r\na" + GET),
                        0),
                Arguments.of("a length of 19 digits", List.of("POST /a HTTP/1.1\r\nContent-Length: 0000000000000000001"
                        + "\r\n\r\na" + GET), 1),   // Netty's way, then the GET the short way
                Arguments.of("an empty length", List.of("POST /a HTTP/1.1\r\nContent-Length:\r\n\r\n" + GET), 0),
                Arguments.of("a length and chunked", List.of("POST /a HTTP/1.1\r\nContent-Length: 3\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + GET), 0),
                Arguments.of("a GET with a body", List.of("GET /b HTTP/1.1\r\ncontent-LENGTH: 3\r\n\r\nabc" + GET), 1),
                Arguments.of("a GET with both keys of the old WebSocket handshake, and the 8 bytes Netty reads after it",
                        List.of("GET /k HTTP/1.1\r\nSec-WebSocket-Key1: 1\r\nsec-websocket-key2: 2\r\n\r\n12345678"
                        + GET), 1),
                Arguments.of("a chunked GET", List.of("GET /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "3\r\nabc\r\n0\r\n\r\n" + GET), 1),
                Arguments.of("HTTP/1.0", List.of("GET /o HTTP/1.0\r\nHost: x\r\n\r\n"), 0),
                Arguments.of("a value with obs-text", List.of("GET / HTTP/1.1\r\nX-Name: caf\u00e9\r\n\r\n"), 0),
                Arguments.of("bare LF line ends", List.of("GET / HTTP/1.1\nHost: x\n\n" + GET), 0),
                Arguments.of("a bare CR in a value", List.of("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n" + GET), 0),
                Arguments.of("a space before the colon, then nothing more is read",
                        List.of("GET / HTTP/1.1\r\nHost : x\r\n\r\n" + GET), 0),
                Arguments.of("a refused head, then nothing more is read, even in a later read",
                        List.of("GET / HTTP/1.1\r\nHost : x\r\n\r\n", GET), 0),
                Arguments.of("a refused chunk, then nothing more is read, even in a later read", List.of(
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", GET), 0),
                Arguments.of("a request line over the limit", List.of("GET /" + "x".repeat(80) + " HTTP/1.1\r\n\r\n"), 0),
                Arguments.of("headers over the limit", List.of("GET / HTTP/1.1\r\nX: " + "y".repeat(300) + "\r\n\r\n"), 0),
                Arguments.of("empty lines first, skipped as Netty skips them", List.of("\r\n\r\n" + GET, "\r\n", GET), 2),
                Arguments.of("a lower-case method", List.of("get / HTTP/1.1\r\nHost: x\r\n\r\n"), 0),
                Arguments.of("two spaces after the method", List.of("GET  /s HTTP/1.1\r\nHost: x\r\n\r\n"), 0),
                Arguments.of("an absolute target and every token character in a name",
                        List.of("GET http://h/p HTTP/1.1\r\nX-!#$%&'*+.^_`|~09Az: v\r\n\r\n"), 1),
                Arguments.of("odd targets: asterisk, no slash, only a query, percent signs", List.of(
                        "GET * HTTP/1.1\r\nHost: x\r\n\r\nGET x HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET ?q HTTP/1.1\r\nHost: x\r\n\r\nGET /%zz%00 HTTP/1.1\r\nHost: x\r\n\r\n"), 4),
                Arguments.of("more header lines than the first table holds", List.of("GET /m HTTP/1.1\r\n"
                        + "A: 1\r\nb: 2\r\n".repeat(12) + "\r\n"), 1),
                Arguments.of("a head cut off at the end of the input", List.of("GET /cut HTTP/1.1\r\nHost: x\r\n"), 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void theShortWayReadsWhatNettyReadsTheSameWay(String name, List<String> reads, int simple) {
        compare(config(), reads, simple);
    }

    static Stream<Arguments> longInputs() {
        String longHead = "GET /long HTTP/1.1\r\n" + "X-Long: 12345678901234567890\r\n".repeat(150) + "\r\n";
        return Stream.of(
                Arguments.of("a simple head longer than the first copy", List.of(longHead), 1),
                Arguments.of("a long head after a short one in the same read", List.of(GET + longHead), 2),
                Arguments.of("fifty pipelined heads in one read", List.of(GET.repeat(50)), 50),
                Arguments.of("a long head cut off at the end of a read, then its end",
                        List.of(longHead.substring(0, 3000), longHead.substring(3000) + GET), 2),
                Arguments.of("a head longer than the limits", List.of("GET /l HTTP/1.1\r\n"
                        + "X-Long: 12345678901234567890\r\n".repeat(400) + "\r\n" + GET), 0));
    }

    @Test
    void aBodyLongerThanAChunkComesInChunksAsNettysDoes() {
        String body = "0123456789".repeat(30);
        String post = "POST /big HTTP/1.1\r\nContent-Length: " + body.length() + "\r\n\r\n";
        compare(config().setMaxChunkSize(64), List.of(post + body.substring(0, 100), body.substring(100) + GET), 2);
        compare(config().setMaxChunkSize(64), List.of(post + body + GET), 2);
        String exact = body.substring(0, 128);   // the last slice a whole chunk
        compare(config().setMaxChunkSize(64), List.of("PUT /e HTTP/1.1\r\nContent-Length: 000000000000000128\r\n\r\n"
                + exact + GET), 2);
    }

    @Test
    void limitsAsLargeAsTheConfigurationAllowsDoNotOverflow() {
        compare(config().setMaxInitialLineLength(Integer.MAX_VALUE).setMaxHeaderSize(Integer.MAX_VALUE),
                List.of(GET, "POST /p HTTP/1.1\r\nContent-Length: 1\r\n\r\na"), 2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("longInputs")
    void longHeadsAndManyHeadsToo(String name, List<String> reads, int simple) {
        compare(config().setMaxHeaderSize(8192), reads, simple);
    }

    static Stream<Arguments> foldedInputs() {
        String fold = "X-Folded: one\r\n two\r\n";
        String refused = "refused BAD_REQUEST";
        return Stream.of(
                Arguments.of("in a simple head", List.of("GET /f HTTP/1.1\r\n" + fold + "\r\n" + GET),
                        List.of(refused)),
                Arguments.of("with a tab, in a POST head", List.of("POST /f HTTP/1.1\r\nX: a\r\n\tb\r\n"
                        + "Content-Length: 0\r\n\r\n"), List.of(refused)),
                Arguments.of("in a pipelined head, after a whole request", List.of(GET + "GET /f HTTP/1.1\r\n" + fold
                        + "\r\n" + GET), List.of("GET /g HTTP/1.1 [Host=x] ok", "last  ok", refused)),
                Arguments.of("in a head that comes in three reads, after a body",
                        List.of("POST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\nabGET /f HTTP/1.1\r\n",
                                "X-Folded: one\r\n", " two\r\n\r\n", GET),
                        List.of("POST /p HTTP/1.1 [Content-Length=2] ok", "last ab ok", refused)),
                Arguments.of("after many short lines, longer in bytes than Netty's two limits added up",
                        List.of("POST /f HTTP/1.1\r\n" + "a:\r\n".repeat(100) + fold + "\r\n"), List.of(refused)),
                Arguments.of("not in a body", List.of("POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\na\r\n b" + GET),
                        List.of("POST /p HTTP/1.1 [Content-Length=5] ok", "last a\r\n b ok",
                                "GET /g HTTP/1.1 [Host=x] ok", "last  ok")));
    }

    @ParameterizedTest(name = "a folded line is refused {0}, and nothing after it is read")
    @MethodSource("foldedInputs")
    void foldedLinesAreRefused(String name, List<String> reads, List<String> messages) {
        assertThat(decode(new EmbeddedChannel(new RequestDecoder(config())), reads)).isEqualTo(messages);
    }

    @Test
    void aHeadOfManyShortLinesCanBeLongerThanTheLimitsAddUpTo() {
        String head = "POST /f HTTP/1.1\r\n" + "a:\r\n".repeat(100) + "Content-Length: 0\r\n\r\n";
        assertThat(head.length()).isGreaterThan(64 + 256);
        compare(config(), List.of(head), 0);
        assertThat(decode(new EmbeddedChannel(new RequestDecoder(config())), List.of(head))).first().asString()
                .startsWith("POST /f HTTP/1.1").endsWith(" ok");
    }

    private static void compare(HttpDecoderConfig config, List<String> reads, int simple) {
        RequestDecoder decoder = new RequestDecoder(config);
        List<String> ours = decode(new EmbeddedChannel(decoder), reads);
        List<String> netty = decode(new EmbeddedChannel(new HttpRequestDecoder(config)), reads);
        assertThat(ours).isEqualTo(netty).isNotEmpty();
        assertThat(decoder.simpleHeads()).isEqualTo(simple);
    }

    private static List<String> decode(EmbeddedChannel channel, List<String> reads) {
        List<ByteBuf> inputs = new ArrayList<>();
        for (String read : reads) {
            ByteBuf input = Unpooled.copiedBuffer(read, StandardCharsets.ISO_8859_1);
            inputs.add(input);
            channel.writeInbound(input);
        }
        channel.finish();   // what the input ends with counts too
        List<String> messages = new ArrayList<>();
        Object message;
        while ((message = channel.readInbound()) != null) {
            messages.add(describe(message));
            ReferenceCountUtil.release(message);
        }
        assertFalse(channel.finishAndReleaseAll());
        assertThat(inputs).as("every read released, the slices of bodies with it").allMatch(in -> in.refCnt() == 0);
        return messages;
    }

    private static String describe(Object message) {
        StringBuilder out = new StringBuilder();
        if (message instanceof HttpRequest request) {
            out.append(request.method()).append(' ').append(request.uri()).append(' ')
                    .append(request.protocolVersion()).append(' ');
            for (Map.Entry<String, String> header : request.headers()) {
                out.append('[').append(header.getKey()).append('=').append(header.getValue()).append(']');
            }
            out.append(result(request.decoderResult()));
        }
        if (message instanceof RejectedRequest rejected) {
            out.append("refused ").append(rejected.error());
        }
        if (message instanceof HttpContent content) {
            out.append(message instanceof LastHttpContent ? "last " : "content ")
                    .append(content.content().toString(StandardCharsets.ISO_8859_1))
                    .append(result(content.decoderResult()));
        }
        return out.toString();
    }

    private static String result(DecoderResult result) {
        return result.isFailure() ? " failed: " + result.cause().getClass().getSimpleName() : " ok";
    }
}
