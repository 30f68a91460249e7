package dev.platemate.gateway.pool;

import dev.platemate.gateway.server.HeadEnd;
import dev.platemate.gateway.wire.HopByHop;
import dev.platemate.gateway.wire.Tokens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;

/**
 * Takes plain responses off an upstream connection's bytes before Netty's HTTP decoder sees them, so they are
 * relayed without being decoded into objects and encoded again. A response is plain when the exchange allows it
 * (see {@link UpstreamConnection#attach}) and its head, whole in the first read, is: HTTP/1.1; a 2xx, 3xx or 4xx
 * status other than 204, 304 and 429; framed by one Content-Length; without Transfer-Encoding, Via or a folded
 * line; header names all tokens (no space before a colon); with no Connection token but keep-alive and close. Its
 * hop-by-hop lines are dropped; it goes on as a {@link PlainHead} and {@link PlainBody} parts. Every other response goes to the decoder, whole, until the
 * connection says it ended ({@link #decoderEnded}). Per channel; event-loop only.
 */
final class PlainResponses extends ChannelInboundHandlerAdapter {

    /** A head longer than this goes to the decoder, which has the configured limits. */
    private static final int MAX_HEAD = 8192;
    /** Room left in a plain head's buffer for the lines the gateway appends. */
    private static final int ROOM = 128;
    private static final int MAX_DROPPED = 8;
    private static final byte[] KEEP_ALIVE = bytes("keep-alive");
    private static final byte[] CLOSE = bytes("close");
    private static final byte[][] HOP_BY_HOP = HopByHop.asBytes();   // Connection is read before them
    private static final byte[] CONNECTION = bytes("connection");
    private static final byte[] CONTENT_LENGTH = bytes("content-length");
    private static final byte[] TRANSFER_ENCODING = bytes("transfer-encoding");
    private static final byte[] VIA = bytes("via");
    private static final byte[] STATUS_PREFIX = bytes("HTTP/1.1 ");

    private enum State { BOUNDARY, BODY, DECODER }

    private State state = State.BOUNDARY;
    private boolean attached;
    private boolean outOfStep;
    private boolean allowed;
    private long remaining;
    // the head being parsed: what parse() found
    private final int[] dropped = new int[2 * MAX_DROPPED];
    private int droppedCount;
    private int status;
    private long contentLength;
    private boolean keepAlive;
    private int blankLineProgress;
    private final ByteProcessor headEndFinder = this::headEndByte;
    private byte[] head = new byte[512];

    /** A request is about to be sent; whether its response may be taken plain. */
    void attach(boolean plainAllowed) {
        attached = true;
        allowed = plainAllowed;
    }

    /**
     * The exchange gave the connection back. @return whether the connection is out of step: a plain response had
     * bytes past its Content-Length, or bytes came while no request was in flight
     */
    boolean detach() {
        attached = false;
        allowed = false;
        return outOfStep;
    }

    /** The decoder finished the response it was given: the next one starts at a boundary again. */
    void decoderEnded() {
        if (state == State.DECODER) {
            state = State.BOUNDARY;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!attached && msg instanceof ByteBuf stray) {
            // nobody asked: whatever this is, it would be taken for the start of the next response
            outOfStep = true;
            stray.release();
            ctx.close();
            return;
        }
        if (!(msg instanceof ByteBuf in) || state == State.DECODER) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.BOUNDARY) {
            int headEnd = allowed ? parse(in) : -1;
            if (headEnd < 0) {
                state = State.DECODER;
                ctx.fireChannelRead(in);
                return;
            }
            ByteBuf lines = copyKeptLines(ctx, in, headEnd - 2); // without the blank line
            in.readerIndex(headEnd);
            state = State.BODY;
            remaining = contentLength;
            ctx.fireChannelRead(new PlainHead(lines, status, keepAlive));
        }
        body(ctx, in);
    }

    private void body(ChannelHandlerContext ctx, ByteBuf in) {
        int n = (int) Math.min(remaining, in.readableBytes());
        remaining -= n;
        boolean last = remaining == 0;
        ByteBuf part = n == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(n);
        boolean excess = last && in.isReadable();
        in.release();
        if (last) {
            state = State.BOUNDARY; // the connection clears what was allowed when it is released
        }
        if (excess) {
            outOfStep = true; // bytes past the response's length: known before the exchange gives it back
        }
        if (n > 0 || last) {
            ctx.fireChannelRead(new PlainBody(part, last));
        }
        if (excess) {
            ctx.close();
        }
    }

    /**
     * Checks the head at the reader index; returns the index just past its blank line, or -1 when not plain. The
     * head is found with one scan of the buffer and parsed from a copy in {@link #head}.
     */
    private int parse(ByteBuf in) {
        int start = in.readerIndex();
        blankLineProgress = 0;
        int lastLf = in.forEachByte(start, Math.min(in.readableBytes(), MAX_HEAD), headEndFinder);
        if (lastLf < 0) {
            return -1;
        }
        int length = lastLf + 1 - start;
        if (head.length < length) {
            head = new byte[Math.max(length, 2 * head.length)];
        }
        in.getBytes(start, head, 0, length);
        int lineEnd = lineEnd(0, length);
        if (lineEnd < 0 || !statusLine(lineEnd - 2)) {
            return -1;
        }
        droppedCount = 0;
        contentLength = -1;
        keepAlive = true;
        int pos = lineEnd;
        while (true) {
            lineEnd = lineEnd(pos, length);
            if (lineEnd < 0) {
                return -1;
            }
            if (lineEnd == pos + 2) {
                return contentLength < 0 ? -1 : start + lineEnd;
            }
            if (!header(pos, lineEnd - 2)) {
                return -1;
            }
            pos = lineEnd;
        }
    }

    /** Finds the end of the head; false (stop) at its last byte. */
    private boolean headEndByte(byte b) {
        blankLineProgress = HeadEnd.next(blankLineProgress, b);
        return blankLineProgress < HeadEnd.FOUND;
    }

    /** The index just past the CRLF that ends the line at {@code from}, or -1 (a bare LF). */
    private int lineEnd(int from, int limit) {
        for (int i = from; i < limit; i++) {
            if (head[i] == '\n') {
                return i == from || head[i - 1] != '\r' ? -1 : i + 1;
            }
        }
        return -1;
    }

    private boolean statusLine(int to) {
        if (to < 12 || !startsWith(0, STATUS_PREFIX)) {
            return false;
        }
        int code = 0;
        for (int i = 9; i < 12; i++) {
            byte b = head[i];
            if (b < '0' || b > '9') {
                return false;
            }
            code = code * 10 + b - '0';
        }
        status = code;
        // 5xx and 429 may be held for a retry, 1xx, 204 and 304 have no body: those are the decoder's
        boolean plainStatus = code >= 200 && code < 500 && code != 204 && code != 304 && code != 429;
        return plainStatus && (to == 12 || head[12] == ' ');
    }

    /** Reads one header line [from, to); false when it makes the response not plain. */
    private boolean header(int from, int to) {
        byte first = head[from];
        int colon = indexOf(from, to, (byte) ':');
        if (first == ' ' || first == '\t' || colon <= from) {
            return false;
        }
        int nameLength = colon - from;
        for (int i = from; i < colon; i++) {
            if (!Tokens.isTokenChar(head[i])) {
                return false; // a space before the colon, or worse: the decoder's, which cleans or drops it
            }
        }
        if (nameIs(from, nameLength, CONTENT_LENGTH)) {
            return contentLength < 0 && length(colon + 1, to);
        }
        if (nameIs(from, nameLength, TRANSFER_ENCODING) || nameIs(from, nameLength, VIA)) {
            return false;
        }
        if (nameIs(from, nameLength, CONNECTION)) {
            return connection(colon + 1, to) && drop(from, to);
        }
        for (byte[] hopByHop : HOP_BY_HOP) {
            if (nameIs(from, nameLength, hopByHop)) {
                return drop(from, to);
            }
        }
        return true;
    }

    /** A Content-Length value: digits only, between optional spaces or tabs. */
    private boolean length(int from, int to) {
        while (from < to && isSpace(head[from])) {
            from++;
        }
        while (to > from && isSpace(head[to - 1])) {
            to--;
        }
        if (to == from || to - from > 15) {
            return false;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            byte b = head[i];
            if (b < '0' || b > '9') {
                return false;
            }
            value = value * 10 + b - '0';
        }
        contentLength = value;
        return true;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Only keep-alive and close are understood here; other tokens name headers to drop, for the decoder path. */
    private boolean connection(int from, int to) {
        int tokenStart = from;
        for (int i = from; i <= to; i++) {
            if (i == to || head[i] == ',') {
                int start = tokenStart;
                int end = i;
                while (start < end && isSpace(head[start])) {
                    start++;
                }
                while (end > start && isSpace(head[end - 1])) {
                    end--;
                }
                if (nameIs(start, end - start, CLOSE)) {
                    keepAlive = false;
                } else if (end > start && !nameIs(start, end - start, KEEP_ALIVE)) {
                    return false;
                }
                tokenStart = i + 1;
            }
        }
        return true;
    }

    private boolean drop(int from, int to) {
        if (droppedCount == MAX_DROPPED) {
            return false;
        }
        dropped[2 * droppedCount] = from; // offsets in the copy, which starts at the reader index
        dropped[2 * droppedCount + 1] = to + 2;
        droppedCount++;
        return true;
    }

    private ByteBuf copyKeptLines(ChannelHandlerContext ctx, ByteBuf in, int end) {
        int start = in.readerIndex();
        ByteBuf lines = ctx.alloc().directBuffer(end - start + ROOM);
        int pos = 0;
        for (int i = 0; i < droppedCount; i++) {
            lines.writeBytes(head, pos, dropped[2 * i] - pos);
            pos = dropped[2 * i + 1];
        }
        lines.writeBytes(head, pos, end - start - pos);
        return lines;
    }

    private boolean nameIs(int from, int length, byte[] lowerName) {
        if (length != lowerName.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            byte b = head[from + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerName[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean startsWith(int from, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (head[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (head[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
