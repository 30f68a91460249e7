package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;

/**
 * Refuses obs-fold (a header line continued on the next line after a space or tab), which the HTTP codec would
 * quietly join into one value, so that a header means the same to the gateway as to the upstream. Scans only the
 * bytes of request heads, before the codec; {@link RequestGuard} says when the next head begins. A refused head
 * becomes a {@link RejectedRequest} (400) and the rest of the connection's input is dropped. Per channel.
 */
final class ObsFoldGuard extends ChannelInboundHandlerAdapter {

    private boolean inHead = true;
    private boolean atLineStart;
    private int blankLineProgress;
    private boolean refused;
    private boolean folded;
    private final ByteProcessor scanner = this::scan;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (inHead && msg instanceof ByteBuf bytes && foldsALine(bytes)) {
            refused = true;
            bytes.release();
            ctx.fireChannelRead(new RejectedRequest(GatewayError.BAD_REQUEST,
                    "a header line continued on the next line (obs-fold) is not accepted"));
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** The current request's head and body are in; the next byte starts a new head. */
    void requestReceived() {
        inHead = true;
        atLineStart = false;
        blankLineProgress = 0;
    }

    private boolean foldsALine(ByteBuf bytes) {
        folded = false;
        bytes.forEachByte(bytes.readerIndex(), bytes.readableBytes(), scanner);
        return folded;
    }

    /** One byte of a head; false stops the scan (a fold found, or the head ended). */
    private boolean scan(byte b) {
        if (atLineStart && (b == ' ' || b == '\t')) {
            folded = true;
            return false;
        }
        atLineStart = b == '\n';
        blankLineProgress = HeadEnd.next(blankLineProgress, b);
        if (blankLineProgress == HeadEnd.FOUND) { // the body that follows is not scanned
            inHead = false;
            return false;
        }
        return true;
    }
}
