package dev.platemate.gateway.websocket;

import dev.platemate.gateway.server.Lifecycle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of a session once its connection speaks WebSocket: reads the frames where they lie (RFC 6455 section
 * 5.2) and hands the session what it must see: a data frame's head, then its bytes, which go on as they came
 * (masked or not, in as few pieces as the input allows), and a control frame whole. A frame the protocol forbids ends
 * the session (1002): reserved bits (no extension is agreed), an unknown opcode, a masked frame from the upstream
 * or an unmasked one from the client, a fragmented or long control frame, a continuation outside a message or a
 * new message inside one. Bytes read before the session starts wait here. Per channel; event-loop only.
 */
final class SideHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SideHandler.class);

    private final Session session;
    private final Side side;
    private final boolean expectMasked;
    private ChannelHandlerContext ctx;
    /** What is read and not yet handled: part of a head or of a control frame, or all of it before the start. */
    private ByteBuf held;
    /** Payload bytes of the data frame in progress still to come. */
    private long remaining;
    private boolean capturing;
    private boolean inMessage;
    private boolean stopped;
    /** Where the bytes to pass begin in the buffer being read (-1: none), up to its reader index. */
    private int passFrom = -1;

    SideHandler(Session session, Side side) {
        this.session = session;
        this.side = side;
        this.expectMasked = side == Side.CLIENT;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        session.attach(side, ctx.channel(), this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);   // an empty end of the 101, which the HTTP decoder left behind
            return;
        }
        if (stopped) {
            bytes.release();
            return;
        }
        ByteBuf in = held == null ? bytes : joined(held, bytes);
        held = null;
        if (!session.started()) {
            held = in;
            return;
        }
        try {
            read(in);
        } catch (Throwable cause) {
            passFrom = -1;
            session.failed(cause);
        } finally {
            keepRest(in);
        }
    }

    /** The session started: what was read before goes now. */
    void resume() {
        if (held != null) {
            ByteBuf in = held;
            held = null;
            try {
                read(in);
            } finally {
                keepRest(in);
            }
        }
    }

    private void read(ByteBuf in) {
        while (in.isReadable() && !stopped) {
            if (remaining > 0) {
                int n = (int) Math.min(remaining, in.readableBytes());
                if (capturing) {
                    session.payload(side, in.slice(in.readerIndex(), n));
                }
                pass(in, n);
                remaining -= n;
                if (remaining == 0) {
                    frameEnded(in);
                }
                continue;
            }
            if (!head(in)) {
                break;   // the rest of a head or a control frame is still to come
            }
        }
        passPending(in);
    }

    /**
     * A data frame's last byte was read: its capture ends, and, while the session closes, what was read of it goes
     * now, so that a close the session holds back for the frame's end follows it.
     */
    private void frameEnded(ByteBuf in) {
        if (capturing) {
            capturing = false;
            session.payloadEnd(side);
        }
        if (session.closing()) {
            passPending(in);
        }
        session.frameEnded(side);
    }

    /** Whether a data frame from this side is passing part way: its first bytes went on, the rest is to come. */
    boolean midFrame() {
        return remaining > 0;
    }

    /** One frame head at the reader index; false when it is not all here yet. */
    private boolean head(ByteBuf in) {
        int at = in.readerIndex();
        if (in.readableBytes() < 2) {
            return false;
        }
        int b0 = in.getUnsignedByte(at);
        int b1 = in.getUnsignedByte(at + 1);
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        boolean masked = (b1 & 0x80) != 0;
        int short7 = b1 & 0x7f;
        int headLength = 2 + (short7 == 126 ? 2 : short7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (in.readableBytes() < headLength) {
            return false;
        }
        long length = short7 < 126 ? short7 : short7 == 126 ? in.getUnsignedShort(at + 2) : in.getLong(at + 2);
        String wrong = (b0 & 0x70) != 0 ? "reserved bits set, and no extension was agreed"
                : masked != expectMasked ? (masked ? "a masked frame from the upstream" : "an unmasked frame from the client")
                : length < 0 ? "a payload length over 2^63"
                : opcode >= 8 ? controlWrong(opcode, fin, length) : dataWrong(opcode);
        if (wrong != null) {
            passPending(in);
            stop(in);
            session.broken(side, 1002, wrong);
            return false;
        }
        if (opcode >= 8) {
            return control(in, opcode, headLength, (int) length);
        }
        int verdict = session.dataHead(side, opcode, fin, length);
        if (verdict == Traffic.TOO_BIG) {
            passPending(in);
            stop(in);
            session.tooBig(side);
            return false;
        }
        inMessage = !fin;
        capturing = verdict == Traffic.CAPTURE;
        pass(in, headLength);
        remaining = length;
        if (length == 0) {
            frameEnded(in);
        }
        return true;
    }

    private static String controlWrong(int opcode, boolean fin, long length) {
        return opcode > 10 ? "an unknown control opcode " + opcode : !fin ? "a fragmented control frame"
                : length > 125 ? "a control frame over 125 bytes" : opcode == 8 && length == 1
                ? "a close frame with a one-byte payload" : null;
    }

    private String dataWrong(int opcode) {
        return opcode > 2 ? "an unknown data opcode " + opcode
                : opcode == 0 && !inMessage ? "a continuation frame outside a fragmented message"
                : opcode != 0 && inMessage ? "a new message inside a fragmented one" : null;
    }

    /** A control frame, whole: a ping or pong passes, a close is the session's to read. */
    private boolean control(ByteBuf in, int opcode, int headLength, int length) {
        if (in.readableBytes() < headLength + length) {
            return false;
        }
        int at = in.readerIndex();
        byte[] payload = new byte[length];
        in.getBytes(at + headLength, payload);
        if (expectMasked) {
            for (int i = 0; i < length; i++) {
                payload[i] ^= in.getByte(at + headLength - 4 + (i & 3));
            }
        }
        passPending(in);
        if (opcode == 8) {
            int code = CloseFrames.code(payload);
            if (code >= 0 && !CloseFrames.sendable(code)) {
                stop(in);
                session.broken(side, 1002, "close code " + code + " may not be sent");
                return false;
            }
            session.closeHeard(side, code, CloseFrames.reason(payload), in.readRetainedSlice(headLength + length));
        } else {
            session.pass(side, in.readRetainedSlice(headLength + length));   // a ping or a pong
        }
        return true;
    }

    /** The next {@code n} bytes go on: joined to those before them when they follow on. */
    private void pass(ByteBuf in, int n) {
        if (passFrom < 0) {
            passFrom = in.readerIndex();
        }
        in.skipBytes(n);
    }

    private void passPending(ByteBuf in) {
        if (passFrom >= 0) {
            int from = passFrom;
            passFrom = -1;
            session.pass(side, in.retainedSlice(from, in.readerIndex() - from));
        }
    }

    /** Nothing more is read from this side: the session is closing it. */
    private void stop(ByteBuf in) {
        stopped = true;
        in.skipBytes(in.readableBytes());
    }

    /** What is left of {@code in} (part of a head or a control frame) is held for the next read. */
    private void keepRest(ByteBuf in) {
        passFrom = -1;
        if (in.isReadable() && !stopped) {
            held = ctx.alloc().buffer(in.readableBytes()).writeBytes(in);
        }
        in.release();
    }

    private ByteBuf joined(ByteBuf first, ByteBuf second) {
        ByteBuf both = ctx.alloc().buffer(first.readableBytes() + second.readableBytes());
        both.writeBytes(first).writeBytes(second);
        first.release();
        second.release();
        return both;
    }

    private void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.readComplete(side);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.writabilityChanged(side);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        session.closed(side);
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Lifecycle.DRAIN) {
            session.goingAway("shutdown");
        }
        ReferenceCountUtil.release(evt);
    }

    /** The connection failed (a reset, TLS): it closes, and the session ends with it (see channelInactive). */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.debug("the {} side of a websocket session failed: {}", side.label(), cause.toString());
        }
        ctx.close();
    }
}
