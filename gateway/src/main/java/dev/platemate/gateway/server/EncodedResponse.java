package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A complete response whose status line and stored headers are already bytes ({@link #encodeHead}), made once and
 * shared by every response built from them; {@link #headers()} holds only what differs per response (Age, X-Cache,
 * Content-Length, Connection). The client connection's encoder writes the whole response as one buffer. A cache
 * hit is one: its head is encoded when the entry is stored, not on every hit.
 */
public final class EncodedResponse extends DefaultFullHttpResponse {

    private static final short CRLF = ('\r' << 8) | '\n';
    private static final short COLON_SPACE = (':' << 8) | ' ';

    private final byte[] head;

    /**
     * @param head from {@link #encodeHead}
     * @param body shared, never written to; empty for a HEAD request
     */
    public EncodedResponse(HttpResponseStatus status, byte[] head, byte[] body) {
        super(HttpVersion.HTTP_1_1, status, body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body),
                DefaultHttpHeadersFactory.headersFactory(), DefaultHttpHeadersFactory.trailersFactory());
        this.head = head;
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
        ByteBuf out = alloc.directBuffer(head.length + 24 * headers().size() + 2 + body.readableBytes());
        out.writeBytes(head);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            ByteBufUtil.writeAscii(out, header.getKey());
            out.writeShort(COLON_SPACE);
            ByteBufUtil.writeAscii(out, header.getValue());
            out.writeShort(CRLF);
        }
        out.writeShort(CRLF);
        out.writeBytes(body, body.readerIndex(), body.readableBytes());
        release();
        return out;
    }
}
