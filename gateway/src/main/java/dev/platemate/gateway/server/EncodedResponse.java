package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A complete response whose status line and stored headers are already bytes ({@link #encodeHead}), made once and
 * shared by every response built from them. What differs per response is Content-Length, Age and X-Cache, held as
 * fields, and whatever a caller adds through {@link #headers()} (Connection, Server-Timing). The client
 * connection's encoder writes the whole response as one buffer. A cache hit is one: its head is encoded when the
 * entry is stored, and a hit that nobody adds a header to makes no {@link HttpHeaders} at all.
 */
public final class EncodedResponse extends DefaultFullHttpResponse {

    private static final short CRLF = ('\r' << 8) | '\n';
    private static final short COLON_SPACE = (':' << 8) | ' ';
    private static final byte[] CONTENT_LENGTH = ascii("content-length: ");
    private static final byte[] AGE = ascii("\r\nage: ");
    private static final byte[] X_CACHE = ascii("\r\nx-cache: ");
    private static final AsciiString X_CACHE_NAME = AsciiString.cached("x-cache");
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory();

    private final byte[] head;
    private final int contentLength;
    private final long age;
    private final String xCache;
    private HttpHeaders added;   // made by the first call to headers()

    /**
     * @param head          from {@link #encodeHead}
     * @param body          shared, never written to; empty for a HEAD request
     * @param contentLength the stored body's length, also for a HEAD request
     * @param age           seconds, for Age
     * @param xCache        for X-Cache: how the response was served
     */
    public EncodedResponse(HttpResponseStatus status, byte[] head, byte[] body, int contentLength, long age,
                           String xCache) {
        super(HttpVersion.HTTP_1_1, status, body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body),
                EmptyHttpHeaders.INSTANCE, EmptyHttpHeaders.INSTANCE);
        this.head = head;
        this.contentLength = contentLength;
        this.age = Math.max(0, age);   // written digit by digit: never negative
        this.xCache = xCache;
    }

    /** Headers added to this response only (not Content-Length, Age or X-Cache); made when first asked for. */
    @Override
    public HttpHeaders headers() {
        if (added == null) {
            added = HEADERS.newHeaders();
        }
        return added;
    }

    /** X-Cache, else a header added through {@link #headers()}; read without making them. */
    public String get(AsciiString name) {
        if (X_CACHE_NAME.contentEqualsIgnoreCase(name)) {
            return xCache;
        }
        return added == null ? null : added.get(name);
    }

    /**
     * The status line and {@code headers} as they go on the wire, in ISO-8859-1 like every header the gateway
     * relays. A name or value that could end a line is refused, so a stored entry cannot inject a header.
     *
     * @throws IllegalArgumentException for a CR, LF or NUL in a name or value, or a colon or space in a name
     */
    public static byte[] encodeHead(int status, List<Map.Entry<String, String>> headers) {
        if (!encodable(headers)) {
            throw new IllegalArgumentException("a header cannot be encoded as it is");
        }
        StringBuilder head = new StringBuilder(64 + 48 * headers.size())
                .append("HTTP/1.1 ").append(HttpResponseStatus.valueOf(status)).append("\r\n");
        for (Map.Entry<String, String> header : headers) {
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether {@link #encodeHead} takes these headers. */
    public static boolean encodable(Iterable<Map.Entry<String, String>> headers) {
        for (Map.Entry<String, String> header : headers) {
            if (header.getKey().isEmpty() || !fits(header.getKey(), true) || !fits(header.getValue(), false)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fits(String s, boolean name) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xff || name && (c == ':' || c <= ' ')) {
                return false;
            }
        }
        return true;
    }

    /** The whole response in one buffer, which the caller owns; this message is released. */
    ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf body = content();
        int extra = added == null ? 0 : 24 * added.size();
        ByteBuf out = alloc.directBuffer(head.length + 80 + xCache.length() + extra + body.readableBytes());
        out.writeBytes(head).writeBytes(CONTENT_LENGTH);
        writeDecimal(out, contentLength);
        out.writeBytes(AGE);
        writeDecimal(out, age);
        out.writeBytes(X_CACHE);
        ByteBufUtil.writeAscii(out, xCache);
        out.writeShort(CRLF);
        if (added != null) {
            for (Iterator<Map.Entry<CharSequence, CharSequence>> it = added.iteratorCharSequence(); it.hasNext(); ) {
                Map.Entry<CharSequence, CharSequence> header = it.next();
                ByteBufUtil.writeAscii(out, header.getKey());
                out.writeShort(COLON_SPACE);
                ByteBufUtil.writeAscii(out, header.getValue());
                out.writeShort(CRLF);
            }
        }
        out.writeShort(CRLF);
        out.writeBytes(body, body.readerIndex(), body.readableBytes());
        release();
        return out;
    }

    private static void writeDecimal(ByteBuf out, long value) {
        if (value >= 10) {
            writeDecimal(out, value / 10);
        }
        out.writeByte((int) ('0' + value % 10));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
