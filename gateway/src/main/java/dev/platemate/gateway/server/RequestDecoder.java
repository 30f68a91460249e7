package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ByteProcessor;
import java.util.List;

/**
 * The client side's request decoder: Netty's {@link HttpRequestDecoder}, with two things added where a request head
 * begins (Netty's decoder stands between messages):
 * <ul>
 *   <li>a head is handed on only once it is all here, or too long for the limits, and one with a folded line
 *       (obs-fold, a header line continued after a space or tab, which Netty would join into one value) is refused
 *       with 400: a header means the same to the gateway as to the upstream. So is a request line with anything
 *       but single spaces between its parts (a tab) or with raw bytes outside ASCII or control bytes (the target
 *       must be percent-encoded: re-encoded, it would name another path upstream). A refused head ends the
 *       connection's input;</li>
 *   <li>a simple head ({@link SimpleHeads}) is parsed where it lies into the request Netty would make of it, and its
 *       body (none, or as many bytes as its Content-Length says) into the same contents: slices of the input of at
 *       most the configured chunk size, as they come, the last one a {@link LastHttpContent}. Any other head goes
 *       to Netty's decoder, which then has the input until it ends a message, and for good once it fails one. So
 *       the short way takes only heads Netty takes, and reads them the same.</li>
 * </ul>
 * Per channel; event-loop only.
 */
final class RequestDecoder extends HttpRequestDecoder {

    private static final int INCOMPLETE = -1;
    private static final int FOLDED = -2;
    private static final int BAD_REQUEST_LINE = -3;

    private final SimpleHeads simple;
    private final HttpHeadersFactory trailersFactory;
    private final int maxChunkSize;
    private long bodyLeft;                  // of a simple head's body, still to come
    private final int maxScan;
    private final ByteProcessor headScanner = this::scanHead;
    private int scanSeen;
    private boolean scanAtLineStart;
    private boolean scanFolded;
    private boolean scanInRequestLine;
    private boolean scanBadRequestLine;
    private boolean betweenMessages = true;
    private boolean failed;
    private boolean refused;
    private boolean closing;
    private long simpleHeads;

    RequestDecoder(HttpDecoderConfig config) {
        super(config);
        this.simple = new SimpleHeads(config);
        this.trailersFactory = config.getTrailersFactory();
        this.maxChunkSize = config.getMaxChunkSize();
        // Netty's limits leave line ends out, so a head it takes can be longer than the two limits added up; never
        // longer than this (within what an array can hold)
        this.maxScan = (int) Math.min(config.getMaxInitialLineLength() + 2L * config.getMaxHeaderSize() + 4,
                Integer.MAX_VALUE - 8);
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
        if (bodyLeft > 0) {
            readBody(in, out);
            return;
        }
        if (betweenMessages && !failed && !closing) {
            skipControlCharacters(in);   // as Netty's decoder does before a request line
            if (!in.isReadable()) {
                return;
            }
            HttpRequest request = simple.decode(in);
            if (request != null) {
                out.add(request);
                bodyLeft = simple.bodyLength();
                if (bodyLeft == 0) {
                    out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                }
                simpleHeads++;
                return;
            }
            int end = headEnd(in);
            if (end == FOLDED || end == BAD_REQUEST_LINE) {
                refused = true;
                in.skipBytes(in.readableBytes());
                out.add(new RejectedRequest(GatewayError.BAD_REQUEST, end == FOLDED
                        ? "a header line continued on the next line (obs-fold) is not accepted"
                        : "the request line may hold only visible ASCII between single spaces "
                        + "(percent-encode other bytes of the target)"));
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

    /** What is here of a simple head's body, up to a chunk of it; the last one ends the message. */
    private void readBody(ByteBuf in, List<Object> out) {
        int size = (int) Math.min(Math.min(in.readableBytes(), maxChunkSize), bodyLeft);
        if (size == 0) {
            return;
        }
        ByteBuf content = in.readRetainedSlice(size);
        bodyLeft -= size;
        out.add(bodyLeft == 0 ? new DefaultLastHttpContent(content, trailersFactory) : new DefaultHttpContent(content));
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
        scanInRequestLine = true;
        scanBadRequestLine = false;
        int end = in.forEachByte(in.readerIndex(), Math.min(in.readableBytes(), maxScan), headScanner);
        return scanFolded ? FOLDED : scanBadRequestLine ? BAD_REQUEST_LINE
                : end < 0 ? INCOMPLETE : end + 1 - in.readerIndex();
    }

    /** One byte of a head; false stops the scan at a folded line, a bad request line or the end of the head. */
    private boolean scanHead(byte b) {
        if (scanInRequestLine) {
            if (b == '\n') {
                scanInRequestLine = false;
            } else if (b < ' ' && b != '\r' || b == 0x7f) { // a tab or another control byte; raw non-ASCII is < 0
                scanBadRequestLine = true;
                return false;
            }
        }
        if (scanAtLineStart && (b == ' ' || b == '\t')) {
            scanFolded = true;
            return false;
        }
        scanAtLineStart = b == '\n';
        scanSeen = HeadEnd.next(scanSeen, b);
        return scanSeen != HeadEnd.FOUND;
    }
}
