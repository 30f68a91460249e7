package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The client side's request decoder: Netty's {@link HttpRequestDecoder}, with a short way for the common request.
 * When Netty's decoder stands between messages and the bytes read hold a whole head that is simple, the head is
 * parsed where it lies into the request and empty last content Netty would make of it. Simple means: GET or HEAD,
 * HTTP/1.1, a target of visible ASCII, header names of token characters each followed at once by a colon, values
 * of visible ASCII, spaces and tabs, every line ended by CRLF, no Content-Length and no Transfer-Encoding, within
 * the configured limits. Anything else goes to Netty's decoder untouched, which then has the input until it ends a
 * message, and for good once it fails one. So the short way takes only heads Netty takes, and reads them the same.
 * Per channel; event-loop only.
 */
final class RequestDecoder extends HttpRequestDecoder {

    private static final byte[] HTTP_1_1_CRLF = "HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private final HttpDecoderConfig config;
    private final int maxHead;
    private byte[] head = new byte[512];
    private int[] fields = new int[64];   // per header line: name start, name end, value start, value end
    private int headEndSeen;
    private final ByteProcessor headEnd = b -> (headEndSeen = HeadEnd.next(headEndSeen, b)) != HeadEnd.FOUND;
    private boolean betweenMessages = true;
    private boolean failed;
    private long simpleHeads;

    RequestDecoder(HttpDecoderConfig config) {
        super(config);
        this.config = config;
        this.maxHead = config.getMaxInitialLineLength() + config.getMaxHeaderSize();
    }

    /** How many heads took the short way; for tests. */
    long simpleHeads() {
        return simpleHeads;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (betweenMessages && !failed && decodeSimple(in, out)) {
            return;
        }
        int before = out.size();
        super.decode(ctx, in, out);
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof DecoderResultProvider provider && provider.decoderResult().isFailure()) {
                failed = true;
            }
        }
        // Netty's decoder holds nothing of a message only right after it has ended one
        betweenMessages = out.size() > before && out.get(out.size() - 1) instanceof LastHttpContent;
    }

    /** Decodes one simple head from {@code in} into {@code out}, or leaves both untouched and returns false. */
    private boolean decodeSimple(ByteBuf in, List<Object> out) {
        byte first = in.readableBytes() > 4 ? in.getByte(in.readerIndex()) : 0;
        if (first != 'G' && first != 'H') {
            return false;
        }
        headEndSeen = 0;
        int end = in.forEachByte(in.readerIndex(), Math.min(in.readableBytes(), maxHead), headEnd);
        if (end < 0) {
            return false;   // not all here, or too long: Netty's decoder waits, or refuses it
        }
        int length = end + 1 - in.readerIndex();
        if (length > head.length) {
            head = new byte[Math.max(length, 2 * head.length)];
        }
        in.getBytes(in.readerIndex(), head, 0, length);
        byte[] b = head;
        HttpMethod method;
        int at;
        if (length > 4 && b[0] == 'G' && b[1] == 'E' && b[2] == 'T' && b[3] == ' ') {
            method = HttpMethod.GET;
            at = 4;
        } else if (length > 5 && b[0] == 'H' && b[1] == 'E' && b[2] == 'A' && b[3] == 'D' && b[4] == ' ') {
            method = HttpMethod.HEAD;
            at = 5;
        } else {
            return false;
        }
        int targetStart = at;
        while (at < length && b[at] > ' ' && b[at] < 0x7f) {
            at++;
        }
        int targetEnd = at;
        if (targetEnd == targetStart || at >= length || b[at] != ' ' || !matches(b, at + 1, length, HTTP_1_1_CRLF)) {
            return false;
        }
        at += 1 + HTTP_1_1_CRLF.length;
        if (at - 2 > config.getMaxInitialLineLength()) {
            return false;
        }
        int headersStart = at;
        int count = 0;
        while (true) {
            if (at + 1 >= length) {
                return false;   // the head is not all here
            }
            if (b[at] == '\r') {
                if (b[at + 1] != '\n') {
                    return false;
                }
                at += 2;
                break;
            }
            int nameStart = at;
            while (at < length && b[at] >= 0 && TOKEN[b[at]]) {
                at++;
            }
            if (at == nameStart || at >= length || b[at] != ':') {
                return false;
            }
            int nameEnd = at++;
            while (at < length && (b[at] == ' ' || b[at] == '\t')) {
                at++;
            }
            int valueStart = at;
            while (at < length && (b[at] >= ' ' && b[at] < 0x7f || b[at] == '\t')) {
                at++;
            }
            if (at + 1 >= length || b[at] != '\r' || b[at + 1] != '\n') {
                return false;
            }
            int valueEnd = at;
            while (valueEnd > valueStart && (b[valueEnd - 1] == ' ' || b[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            at += 2;
            if (framesABody(b, nameStart, nameEnd)) {
                return false;
            }
            if (4 * count + 4 > fields.length) {
                fields = Arrays.copyOf(fields, 2 * fields.length);
            }
            fields[4 * count] = nameStart;
            fields[4 * count + 1] = nameEnd;
            fields[4 * count + 2] = valueStart;
            fields[4 * count + 3] = valueEnd;
            count++;
        }
        if (at - headersStart > config.getMaxHeaderSize()) {
            return false;
        }
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method,
                latin1(b, targetStart, targetEnd), config.getHeadersFactory());
        HttpHeaders headers = request.headers();
        for (int i = 0; i < 4 * count; i += 4) {
            headers.add(latin1(b, fields[i], fields[i + 1]), latin1(b, fields[i + 2], fields[i + 3]));
        }
        in.skipBytes(at);
        out.add(request);
        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        simpleHeads++;
        return true;
    }

    /** Content-Length or Transfer-Encoding, in any case: such a head goes to Netty's decoder. */
    private static boolean framesABody(byte[] b, int start, int end) {
        int length = end - start;
        return (length == 14 || length == 17) && (b[start] | 0x20) == (length == 14 ? 'c' : 't')
                && new String(b, start, length, StandardCharsets.ISO_8859_1)
                .equalsIgnoreCase(length == 14 ? "content-length" : "transfer-encoding");
    }

    private static boolean matches(byte[] b, int at, int length, byte[] expected) {
        if (at + expected.length > length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (b[at + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static String latin1(byte[] b, int start, int end) {
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }
}
