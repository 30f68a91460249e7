package dev.platemate.gateway.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which upstream responses are taken plain, and how, on an embedded channel. */
class PlainResponsesTest {

    private final PlainResponses plain = new PlainResponses();
    private final EmbeddedChannel channel = new EmbeddedChannel(plain);

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static String text(io.netty.buffer.ByteBufHolder holder) {
        String s = holder.content().toString(StandardCharsets.ISO_8859_1);
        holder.release();
        return s;
    }

    @Test
    void aPlainResponseComesAsItsHeadLinesAndItsBody() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=5\r\nContent-Length: 5\r\nX-Kept: yes\r\n\r\nhello"));
        PlainHead head = channel.readInbound();
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.keepAlive()).isTrue();
        assertThat(text(head)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                + "X-Kept: yes\r\n");
        PlainBody body = channel.readInbound();
        assertThat(body.last()).isTrue();
        assertThat(text(body)).isEqualTo("hello");
        assertThat(channel.<Object>readInbound()).isNull();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aBodyInSeveralReadsComesInParts() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 201 Created\r\ncontent-length: 10\r\nconnection: close\r\n\r\nabc"));
        PlainHead head = channel.readInbound();
        assertThat(head.keepAlive()).isFalse();
        head.release();
        PlainBody first = channel.readInbound();
        assertThat(first.last()).isFalse();
        assertThat(text(first)).isEqualTo("abc");
        channel.writeInbound(bytes("defghij"));
        PlainBody rest = channel.readInbound();
        assertThat(rest.last()).isTrue();
        assertThat(text(rest)).isEqualTo("defghij");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aClientErrorOtherThan429IsPlainToo() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!"));
        PlainHead head = channel.readInbound();
        assertThat(head.status()).isEqualTo(404);
        assertThat(text(head)).isEqualTo("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n");
        assertThat(text(channel.<PlainBody>readInbound())).isEqualTo("nope!");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void connectionTokensAreReadWhateverTheirCaseAndSpacing() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nConnection: Keep-Alive ,\tClose\r\nContent-Length: 0\r\n\r\n"));
        PlainHead head = channel.readInbound();
        assertThat(head.keepAlive()).isFalse();
        assertThat(text(head)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
        channel.<PlainBody>readInbound().release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void anEmptyBodyStillEnds() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        channel.<PlainHead>readInbound().release();
        PlainBody body = channel.readInbound();
        assertThat(body.last()).isTrue();
        assertThat(text(body)).isEmpty();
        assertFalse(channel.finishAndReleaseAll());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\nclose-delimited",
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\n\r\nslow",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown",
        "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nVia: 1.0 edge\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: x-secret\r\nX-Secret: 1\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, upgrade\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Folded: a\r\n b\r\n\r\nhello",
        "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
    })
    void anythingElseGoesToTheDecoderUntouched(String response) {
        plain.attach(true);
        channel.writeInbound(bytes(response));
        ByteBuf passed = channel.readInbound();
        assertThat(passed.toString(StandardCharsets.ISO_8859_1)).isEqualTo(response);
        passed.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void bytesWhileNoRequestIsInFlightCloseTheConnection() {
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(plain.detach()).as("out of step").isTrue();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void bytesPastTheLengthMarkTheConnectionOutOfStepBeforeTheBodyEnds() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
        PlainHead head = channel.readInbound();
        head.release();
        PlainBody body = channel.readInbound();
        assertThat(body.last()).isTrue();
        assertThat(text(body)).isEqualTo("ok");
        assertThat(plain.detach()).isTrue();
        assertThat(channel.isOpen()).isFalse();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void nothingIsTakenPlainUnlessTheExchangeAllowsIt() {
        String response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        plain.attach(false);
        channel.writeInbound(bytes(response));
        ByteBuf passed = channel.readInbound();
        assertThat(passed.toString(StandardCharsets.ISO_8859_1)).isEqualTo(response);
        passed.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void afterTheDecoderEndsAResponseTheNextMayBePlainAgain() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        channel.<ByteBuf>readInbound().release();
        channel.writeInbound(bytes("0\r\n\r\n")); // still the decoder's
        channel.<ByteBuf>readInbound().release();
        plain.decoderEnded();
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        PlainHead head = channel.readInbound();
        assertThat(head.status()).isEqualTo(200);
        head.release();
        assertThat(text(channel.<PlainBody>readInbound())).isEqualTo("ok");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void bytesPastTheResponseCloseTheConnection() {
        plain.attach(true);
        channel.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
        channel.<PlainHead>readInbound().release();
        PlainBody body = channel.readInbound();
        assertThat(text(body)).isEqualTo("ok");
        assertThat(channel.isOpen()).isFalse();
        assertFalse(channel.finishAndReleaseAll());
    }
}
