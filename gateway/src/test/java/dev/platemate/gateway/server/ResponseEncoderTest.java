package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The client connection's encoder, on an embedded channel: pre-encoded responses and HEAD answers. */
class ResponseEncoderTest {

    private final ResponseEncoder encoder = new ResponseEncoder();
    private final EmbeddedChannel channel = new EmbeddedChannel(encoder);

    /** Everything written so far, as the client would read it. */
    private String wire() {
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void anEncodedResponseGoesOutAsOneBufferWithItsHeadAndItsOwnHeaders() {
        byte[] head = EncodedResponse.encodeHead(200, List.of(Map.entry("content-type", "application/json"),
                Map.entry("etag", "\"é-1\"")));
        EncodedResponse response = new EncodedResponse(HttpResponseStatus.OK, head, bytes("{\"a\":1}"), 7, 120,
                "HIT");
        response.headers().set("server-timing", "upstream;dur=3").set(HttpHeaderNames.CONNECTION, "close");
        assertThat(response.get(AsciiString.of("X-Cache"))).isEqualTo("HIT");
        assertThat(response.get(AsciiString.of("server-timing"))).isEqualTo("upstream;dur=3");
        channel.writeAndFlush(response);

        ByteBuf only = channel.readOutbound();
        assertThat(channel.<Object>readOutbound()).isNull();
        assertThat(only.toString(StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200 OK\r\n"
                + "content-type: application/json\r\netag: \"é-1\"\r\n"
                + "content-length: 7\r\nage: 120\r\nx-cache: HIT\r\n"
                + "server-timing: upstream;dur=3\r\nconnection: close\r\n\r\n{\"a\":1}");
        only.release();
        assertThat(response.refCnt()).isZero();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void anEncodedAnswerToHeadKeepsTheStoredLengthAndHasNoBody() {
        byte[] head = EncodedResponse.encodeHead(200, List.of(Map.entry("content-type", "application/json")));
        EncodedResponse response = new EncodedResponse(HttpResponseStatus.OK, head, new byte[0], 1024, 0, "STALE");
        assertThat(response.get(AsciiString.of("server-timing"))).isNull();
        encoder.answering(HttpMethod.HEAD);
        channel.writeAndFlush(response);
        assertThat(wire()).isEqualTo("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + "content-length: 1024\r\nage: 0\r\nx-cache: STALE\r\n\r\n");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aHeadAnswerHasNoBodyNotEvenAChunkedEnd() {
        encoder.answering(HttpMethod.HEAD);
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        channel.write(head);
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(wire()).isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void theAnswerAfterAHeadAnswerHasItsBodyAgain() {
        encoder.answering(HttpMethod.HEAD);
        channel.writeAndFlush(full(HttpResponseStatus.OK, "ignored"));
        wire();
        // an answer of the connection's own (a 408 between requests) comes without a new request
        channel.writeAndFlush(full(HttpResponseStatus.REQUEST_TIMEOUT, "late"));
        assertThat(wire()).startsWith("HTTP/1.1 408").endsWith("\r\n\r\nlate");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aContinueBeforeAHeadAnswerKeepsTheHeadRule() {
        encoder.answering(HttpMethod.HEAD);
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        assertThat(wire()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
        channel.writeAndFlush(full(HttpResponseStatus.OK, "body"));
        assertThat(wire()).endsWith("content-length: 4\r\n\r\n");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aGetAnswerIsStreamedAsItComes() {
        encoder.answering(HttpMethod.GET);
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        channel.write(head);
        channel.write(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(wire()).endsWith("\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aHeaderThatCouldBreakTheFramingIsNotEncoded() {
        assertThatThrownBy(() -> EncodedResponse.encodeHead(200, List.of(Map.entry("x-a", "1\r\nset-cookie: b"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncodedResponse.encodeHead(200, List.of(Map.entry("x-a", "1\rb"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncodedResponse.encodeHead(200, List.of(Map.entry("x a:", "1"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(EncodedResponse.encodable(List.of(Map.entry("x-a", "tab\tis fine")))).isTrue();
    }

    private static DefaultFullHttpResponse full(HttpResponseStatus status, String body) {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
        return response;
    }
}
