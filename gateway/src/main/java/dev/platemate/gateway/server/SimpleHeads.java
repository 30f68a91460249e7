package dev.platemate.gateway.server;

import dev.platemate.gateway.wire.HeadLines;
import dev.platemate.gateway.wire.RawHeadRequest;
import dev.platemate.gateway.wire.RawHeaders;
import dev.platemate.gateway.wire.Tokens;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a simple request head where it lies, for {@link RequestDecoder}: GET, HEAD, POST or PUT, HTTP/1.1, a target of
 * visible ASCII, header names of token characters each followed at once by a colon, values of visible ASCII, spaces
 * and tabs (trimmed), every line ended by CRLF, no Transfer-Encoding or Sec-WebSocket-Key1/2, no Content-Length but
 * on a POST or PUT, and there once, as 1 to 18 digits, within the configured limits. Such a head means the same to
 * Netty's decoder, which takes every one of them; anything else is left to it. The head is copied once (the copy
 * grows only for a long head) and parsed in one pass; the request keeps a copy of its own, and its headers are
 * looked up in it ({@link RawHeaders}) until something needs more. Per channel.
 */
final class SimpleHeads {

    private static final byte[] HTTP_1_1_CRLF = "HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String CONTENT_LENGTH = "content-length";
    private static final int INCOMPLETE = -1;
    private static final int NOT_SIMPLE = -2;

    private final HttpHeadersFactory headersFactory;
    private final int maxInitialLine;
    private final int maxHeaderSize;
    private final int maxHead;
    private byte[] head;                    // a copy of the head being parsed
    private HttpMethod method;
    private long bodyLength;                // of the head decoded last: its Content-Length, or 0
    private int targetStart;
    private int targetEnd;
    private int[] fields = new int[64];     // per header line: name start, name end, value start, value end
    private int fieldCount;

    SimpleHeads(HttpDecoderConfig config) {
        this.headersFactory = config.getHeadersFactory();
        this.maxInitialLine = config.getMaxInitialLineLength();
        this.maxHeaderSize = config.getMaxHeaderSize();
        this.maxHead = (int) Math.min((long) maxInitialLine + maxHeaderSize, Integer.MAX_VALUE - 8);
        this.head = new byte[Math.min(1024, maxHead)];
    }

    /** How many bytes of body follow the head {@link #decode} returned last. */
    long bodyLength() {
        return bodyLength;
    }

    /** The simple head at the start of {@code in} as a request, its bytes read; or null, and {@code in} untouched. */
    HttpRequest decode(ByteBuf in) {
        int readable = in.readableBytes();
        byte first = readable > 4 ? in.getByte(in.readerIndex()) : 0;
        if (first != 'G' && first != 'H' && first != 'P') {
            return null;
        }
        int length = Math.min(readable, head.length);
        in.getBytes(in.readerIndex(), head, 0, length);
        int end;
        while ((end = parse(length)) == INCOMPLETE && readable > length && length < maxHead) {
            head = Arrays.copyOf(head, (int) Math.min(4L * head.length, maxHead));   // rarely: a long head
            in.getBytes(in.readerIndex() + length, head, length, Math.min(readable, head.length) - length);
            length = Math.min(readable, head.length);
        }
        if (end < 0) {
            return null;   // not simple, or not all here
        }
        HeadLines lines = new HeadLines(Arrays.copyOf(head, end), Arrays.copyOf(fields, 4 * fieldCount), fieldCount);
        in.skipBytes(end);
        return new RawHeadRequest(method, latin1(head, targetStart, targetEnd), new RawHeaders(lines, headersFactory));
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
        } else if (b[0] == 'P' && b[1] == 'O' && b[2] == 'S' && b[3] == 'T' && b[4] == ' ') {
            method = HttpMethod.POST;
            at = 5;
        } else if (b[0] == 'P' && b[1] == 'U' && b[2] == 'T' && b[3] == ' ') {
            method = HttpMethod.PUT;
            at = 4;
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
        if (at - 2 > maxInitialLine) {
            return NOT_SIMPLE;
        }
        int headersStart = at;
        fieldCount = 0;
        bodyLength = -1;
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
            while (at < length && Tokens.isTokenChar(b[at])) {
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
            if (isName(b, nameStart, nameEnd, CONTENT_LENGTH) && !readLength(b, valueStart, valueEnd)) {
                return NOT_SIMPLE;
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
        bodyLength = Math.max(bodyLength, 0);
        return at - headersStart > maxHeaderSize ? NOT_SIMPLE : at;
    }

    /**
     * Takes the value between {@code start} and {@code end} as the body's length: false unless the head may have one
     * (a POST or PUT), has no other, and the value is 1 to 18 digits (which Netty reads as the same number).
     */
    private boolean readLength(byte[] b, int start, int end) {
        if (bodyLength >= 0 || end == start || end - start > 18
                || method != HttpMethod.POST && method != HttpMethod.PUT) {
            return false;
        }
        long length = 0;
        for (int i = start; i < end; i++) {
            if (b[i] < '0' || b[i] > '9') {
                return false;
            }
            length = 10 * length + b[i] - '0';
        }
        bodyLength = length;
        return true;
    }

    /**
     * Transfer-Encoding, or a key of the draft-76 WebSocket handshake (with both, Netty's decoder reads a GET's next
     * 8 bytes as its body), in any case: such a head goes to Netty's decoder.
     */
    private static boolean framesABody(byte[] b, int start, int end) {
        return isName(b, start, end, "transfer-encoding") || end - start == 18
                && isName(b, start, end - 1, "sec-websocket-key") && (b[end - 1] == '1' || b[end - 1] == '2');
    }

    /** Whether the token between {@code start} and {@code end} is {@code lowerCase}, in any case. */
    private static boolean isName(byte[] b, int start, int end, String lowerCase) {
        if (end - start != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < lowerCase.length(); i++) {
            if ((b[start + i] | 0x20) != lowerCase.charAt(i)) {   // of token characters, only letters fold so
                return false;
            }
        }
        return true;
    }

    private static String latin1(byte[] b, int start, int end) {
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }
}
