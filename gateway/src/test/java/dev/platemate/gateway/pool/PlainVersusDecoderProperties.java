package dev.platemate.gateway.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.proxy.RewriterForTests;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The plain path against the decoder path, on generated upstream heads: whatever the plain path takes, the client
 * gets the same status, the same headers and the same body as when Netty's decoder and the header rewriter handle
 * it; and it takes a good share of them (the statistics check that the plain path really ran).
 */
class PlainVersusDecoderProperties {

    /** The upstream side's decoder settings (UpstreamConnector's): header bytes not validated. */
    private static final HttpDecoderConfig DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(8192).setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024)
            .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))
            .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(false));

    private static final RewriterForTests REWRITER = rewriter();

    private static RewriterForTests rewriter() {
        try {
            return new RewriterForTests();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final List<String> NAMES = List.of("Content-Type", "X-Kept", "Cache-Control", "ETag",
            "Keep-Alive", "TE", "Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Connection", "Connection",
            "Content-Length ", "X-Bad Name", "Bad@Name", "X\tTab", "set-cookie", "X-A", "x-a", "Server");
    private static final List<String> VALUES = List.of("close", "keep-alive", "X-A", "x-kept, close", "text/plain",
            "max-age=60", "\"v1\"", "timeout=5", "", "a b  c", "keep-alive, X-A");

    record Head(int status, List<Map.Entry<String, String>> headers, String body) {
        byte[] bytes() {
            StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " Reason\r\n");
            for (Map.Entry<String, String> header : headers) {
                head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
            }
            head.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body);
            return head.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @Provide
    Arbitrary<Head> heads() {
        Arbitrary<Map.Entry<String, String>> header = Combinators.combine(Arbitraries.of(NAMES),
                Arbitraries.oneOf(Arbitraries.of(VALUES), Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12)))
                .as(Map::entry);
        return Combinators.combine(Arbitraries.of(200, 201, 203, 301, 302, 404, 410, 418, 499),
                header.list().ofMaxSize(8), Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40))
                .as(Head::new);
    }

    @Property(tries = 400)
    void thePlainPathGivesTheClientWhatTheDecoderPathGives(@ForAll("heads") Head head) throws Exception {
        Seen plain = plainPath(head.bytes());
        Statistics.label("path").collect(plain == null ? "decoder" : "plain");
        Statistics.label("path").coverage(coverage -> coverage.check("plain").percentage(p -> p > 20));
        if (plain == null) {
            return;
        }
        Seen decoded = decoderPath(head.bytes());
        assertThat(decoded).as("the decoder path takes what the plain path takes").isNotNull();
        assertThat(plain.status).isEqualTo(decoded.status);
        assertThat(plain.headers).containsExactlyInAnyOrderElementsOf(decoded.headers);
        assertThat(plain.body).isEqualTo(decoded.body);
        assertThat(plain.headers).allSatisfy(name -> assertThat(name.getKey()).doesNotContain(" ", "\t", "@"));
    }

    /** What a client reading the bytes would see. */
    record Seen(int status, List<Map.Entry<String, String>> headers, String body) {
    }

    /** The plain path: null when the head is not taken plain. */
    private static Seen plainPath(byte[] bytes) throws Exception {
        PlainResponses plain = new PlainResponses();
        EmbeddedChannel channel = new EmbeddedChannel(plain, new UpstreamResponseDecoder(DECODER));
        plain.attach(true);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        Object first = channel.readInbound();
        if (!(first instanceof PlainHead head)) {
            ReferenceCountUtil.release(first);
            releaseAll(channel);
            return null;
        }
        ByteBuf out = head.content();
        RewriterForTests.finishPlain(out);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(bytesOf(out));
        head.release();
        Object part;
        while ((part = channel.readInbound()) != null) {
            wire.writeBytes(bytesOf(((PlainBody) part).content()));
            ReferenceCountUtil.release(part);
        }
        channel.finishAndReleaseAll();
        return read(new EmbeddedChannel(new HttpResponseDecoder(DECODER)), wire.toByteArray(), false);
    }

    /** The decoder path, rewritten for the client as ResponseRelay does; null when the decoder refuses it. */
    private static Seen decoderPath(byte[] bytes) throws Exception {
        return read(new EmbeddedChannel(new UpstreamResponseDecoder(DECODER)), bytes, true);
    }

    private static Seen read(EmbeddedChannel channel, byte[] bytes, boolean rewrite) throws Exception {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        int status = 0;
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        boolean failed = false;
        HttpObject part;
        while ((part = channel.readInbound()) != null) {
            failed |= part.decoderResult().isFailure();
            if (part instanceof HttpResponse response) {
                if (rewrite) {
                    REWRITER.prepareDecoded(response);
                }
                status = response.status().code();
                response.headers().forEach(h -> headers.add(Map.entry(h.getKey().toLowerCase(Locale.ROOT),
                        h.getValue())));
            }
            if (part instanceof HttpContent content) {
                body.append(content.content().toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(part);
        }
        channel.finishAndReleaseAll();
        return failed || status == 0 ? null : new Seen(status, headers, body.toString());
    }

    private static byte[] bytesOf(ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }

    private static void releaseAll(EmbeddedChannel channel) {
        Object left;
        while ((left = channel.readInbound()) != null) {
            ReferenceCountUtil.release(left);
        }
        channel.finishAndReleaseAll();
    }
}
