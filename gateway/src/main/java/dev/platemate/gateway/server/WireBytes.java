package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;

/**
 * Part of a response already in its wire form, which the client connection's encoder sends as it is: a whole head
 * (status line, headers and the blank line), then body bytes. A relayed plain response travels this way.
 */
public final class WireBytes extends WholeBytes {

    private final int status;
    private final String serverTiming;
    private final boolean last;

    private WireBytes(ByteBuf bytes, int status, String serverTiming, boolean last) {
        super(bytes);
        this.status = status;
        this.serverTiming = serverTiming;
        this.last = last;
    }

    /** A whole head with {@code status}, carrying {@code serverTiming} among its headers (for the access log). */
    public static WireBytes head(ByteBuf bytes, int status, String serverTiming) {
        return new WireBytes(bytes, status, serverTiming, false);
    }

    /** Body bytes; {@code last} when they end the response. */
    public static WireBytes body(ByteBuf bytes, boolean last) {
        return new WireBytes(bytes, 0, null, last);
    }

    public boolean isHead() {
        return status != 0;
    }

    public int status() {
        return status;
    }

    public String serverTiming() {
        return serverTiming;
    }

    public boolean last() {
        return last;
    }
}
