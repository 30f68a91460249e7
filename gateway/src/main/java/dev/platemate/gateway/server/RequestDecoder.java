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
 * The client side's request decoder: Netty's {@link HttpRequestDecoder}, with two things added where a request head
 * begins (Netty's decoder stands between messages):
 * <ul>
 *   <li>a head is handed on only once it is all here, or too long for the limits, and one with a folded line
 *       (obs-fold, a header line continued after a space or tab, which Netty would join into one value) is refused
 *       with 400: a header means the same to the gateway as to the upstream. A refused head ends the
 *       connection's input;</li>
 *   <li>a simple head is parsed where it lies into the request and empty last content Netty would make of it.
 *       Simple means: GET or HEAD, HTTP/1.1, a target of visible ASCII, header names of token characters each
 *       followed at once by a colon, values of visible ASCII, spaces and tabs, every line ended by CRLF, no
 *       Content-Length and no Transfer-Encoding, within the configured limits. Any other head goes to Netty's
 *       decoder, which then has the input until it ends a message, and for good once it fails one. So the short
 *       way takes only heads Netty takes, and reads them the same.</li>
 * </ul>
 * Per channel; event-loop only.
 */
final class RequestDecoder extends HttpRequestDecoder {

    private static final byte[] HTTP_1_1_CRLF = "HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final boolean[] TOKEN = new boolean[128];
    private static final int INCOMPLETE = -1;
    private static final int NOT_SIMPLE = -2;
    private static final int FOLDED = -3;

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
    private final int maxScan;
    private byte[] head;                    // a copy of the head being parsed
    private HttpMethod method;
    private int targetStart;
    private int targetEnd;
    private int[] fields = new int[64];     // per header line: name start, name end, value start, value end
    private int fieldCount;
    private final ByteProcessor headScanner = this::scanHead;
    private int scanSeen;
    private boolean scanAtLineStart;
    private boolean scanFolded;
    private boolean betweenMessages = true;
    private boolean failed;
    private boolean refused;
    private boolean closing;
    private long simpleHeads;

    RequestDecoder(HttpDecoderConfig config) {
        super(config);
        this.config = config;
        this.maxHead = config.getMaxInitialLineLength() + config.getMaxHeaderSize();
        // Netty's limits leave line ends out, so a head it takes can be longer than maxHead; never longer than this
        this.maxScan = config.getMaxInitialLineLength() + 2 * config.getMaxHeaderSize() + 4;
        this.head = new byte[Math.min(1024, maxHead)];
    }

    /** How many heads took the short way; for tests. */
    long simpleHeads() {
        return simpleHeads;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (betweenMessages && !failed && !closing) {
            skipControlCharacters(in);   // as Netty's decoder does before a request line
            if (!in.isReadable() || decodeSimple(in, out)) {
                return;
            }
            int end = headEnd(in);
            if (end == FOLDED) {
                refused = true;
                in.skipBytes(in.readableBytes());
                out.add(new RejectedRequest(GatewayError.BAD_REQUEST,
                        "a header line continued on the next line (obs-fold) is not accepted"));
                return;
            }
            if (end == INCOMPLETE && in.readableBytes() < maxScan) {
                return;   // the rest of the head is still to come
            }
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

    /** The input ends: what is held of a head goes to Netty's decoder, which says how the message ended. */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        closing = true;
        super.decodeLast(ctx, in, out);
    }

    private static void skipControlCharacters(ByteBuf in) {
        while (in.isReadable()) {
            int b = in.getUnsignedByte(in.readerIndex());
            if (b > ' ' && (b < 0x7f || b > 0x9f)) {
                return;
            }
            in.skipBytes(1);
        }
    }

    /**
     * Where the head at the start of {@code in} ends (its length), {@link #FOLDED} if a line of it is folded, or
     * {@link #INCOMPLETE} if its end is not within what is here and the limits.
     */
    private int headEnd(ByteBuf in) {
        scanSeen = 0;
        scanAtLineStart = false;
        scanFolded = false;
        int end = in.forEachByte(in.readerIndex(), Math.min(in.readableBytes(), maxScan), headScanner);
        return scanFolded ? FOLDED : end < 0 ? INCOMPLETE : end + 1 - in.readerIndex();
    }

    /** One byte of a head; false stops the scan at a folded line or at the end of the head. */
    private boolean scanHead(byte b) {
        if (scanAtLineStart && (b == ' ' || b == '\t')) {
            scanFolded = true;
            return false;
        }
        scanAtLineStart = b == '\n';
        scanSeen = HeadEnd.next(scanSeen, b);
        return scanSeen != HeadEnd.FOUND;
    }

    /** Decodes one simple head from {@code in} into {@code out}, or leaves both untouched and returns false. */
    private boolean decodeSimple(ByteBuf in, List<Object> out) {
        int readable = in.readableBytes();
        byte first = readable > 4 ? in.getByte(in.readerIndex()) : 0;
        if (first != 'G' && first != 'H') {
            return false;
        }
        int length = Math.min(readable, head.length);
        in.getBytes(in.readerIndex(), head, 0, length);
        int end;
        while ((end = parse(length)) == INCOMPLETE && readable > length && length < maxHead) {
            head = Arrays.copyOf(head, Math.min(4 * head.length, maxHead));   // rarely: a long head
            in.getBytes(in.readerIndex() + length, head, length, Math.min(readable, head.length) - length);
            length = Math.min(readable, head.length);
        }
        if (end < 0) {
            return false;   // not simple, or not all here: Netty's decoder reads it, waits for it, or refuses it
        }
        DefaultHttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method,
                latin1(head, targetStart, targetEnd), config.getHeadersFactory());
        HttpHeaders headers = request.headers();
        for (int i = 0; i < 4 * fieldCount; i += 4) {
            headers.add(latin1(head, fields[i], fields[i + 1]), latin1(head, fields[i + 2], fields[i + 3]));
        }
        in.skipBytes(end);
        out.add(request);
        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        simpleHeads++;
        return true;
    }

    /**
     * Parses the first {@code length} bytes of {@link #head} as a simple head, into {@link #method}, the target's
     * bounds and {@link #fields}: returns where the head ends, {@link #INCOMPLETE} if it runs past {@code length},
     * or {@link #NOT_SIMPLE}.
     */
    private int parse(int length) {
        byte[] b = head;
        int at;
        if (length < 6) {
            return INCOMPLETE;
        } else if (b[0] == 'G' && b[1] == 'E' && b[2] == 'T' && b[3] == ' ') {
            method = HttpMethod.GET;
            at = 4;
        } else if (b[0] == 'H' && b[1] == 'E' && b[2] == 'A' && b[3] == 'D' && b[4] == ' ') {
            method = HttpMethod.HEAD;
            at = 5;
        } else {
            return NOT_SIMPLE;
        }
        targetStart = at;
        while (at < length && b[at] > ' ' && b[at] < 0x7f) {
            at++;
        }
        targetEnd = at;
        if (at + 1 + HTTP_1_1_CRLF.length > length) {
            return INCOMPLETE;
        }
        if (targetEnd == targetStart || b[at] != ' ' || !Arrays.equals(b, at + 1, at + 1 + HTTP_1_1_CRLF.length,
                HTTP_1_1_CRLF, 0, HTTP_1_1_CRLF.length)) {
            return NOT_SIMPLE;
        }
        at += 1 + HTTP_1_1_CRLF.length;
        if (at - 2 > config.getMaxInitialLineLength()) {
            return NOT_SIMPLE;
        }
        int headersStart = at;
        fieldCount = 0;
        while (true) {
            if (at + 1 >= length) {
                return INCOMPLETE;
            }
            if (b[at] == '\r') {
                if (b[at + 1] != '\n') {
                    return NOT_SIMPLE;
                }
                at += 2;
                break;
            }
            int nameStart = at;
            while (at < length && b[at] >= 0 && TOKEN[b[at]]) {
                at++;
            }
            int nameEnd = at;
            if (at < length && b[at] == ':') {
                at++;
                while (at < length && (b[at] == ' ' || b[at] == '\t')) {
                    at++;
                }
            }
            int valueStart = at;
            while (at < length && (b[at] >= ' ' && b[at] < 0x7f || b[at] == '\t')) {
                at++;
            }
            if (at + 1 >= length) {
                return INCOMPLETE;
            }
            if (nameEnd == nameStart || b[nameEnd] != ':' || b[at] != '\r' || b[at + 1] != '\n'
                    || framesABody(b, nameStart, nameEnd)) {
                return NOT_SIMPLE;
            }
            int valueEnd = at;
            while (valueEnd > valueStart && (b[valueEnd - 1] == ' ' || b[valueEnd - 1] == '\t')) {
                valueEnd--;
            }
            at += 2;
            if (4 * fieldCount + 4 > fields.length) {
                fields = Arrays.copyOf(fields, 2 * fields.length);
            }
            fields[4 * fieldCount] = nameStart;
            fields[4 * fieldCount + 1] = nameEnd;
            fields[4 * fieldCount + 2] = valueStart;
            fields[4 * fieldCount + 3] = valueEnd;
            fieldCount++;
        }
        return at - headersStart > config.getMaxHeaderSize() ? NOT_SIMPLE : at;
    }

    /** Content-Length or Transfer-Encoding, in any case: such a head goes to Netty's decoder. */
    private static boolean framesABody(byte[] b, int start, int end) {
        int length = end - start;
        return (length == 14 || length == 17) && (b[start] | 0x20) == (length == 14 ? 'c' : 't')
                && new String(b, start, length, StandardCharsets.ISO_8859_1)
                .equalsIgnoreCase(length == 14 ? "content-length" : "transfer-encoding");
    }

    private static String latin1(byte[] b, int start, int end) {
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }
}
