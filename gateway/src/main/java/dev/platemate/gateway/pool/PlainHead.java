package dev.platemate.gateway.pool;

import dev.platemate.gateway.server.WholeBytes;
import io.netty.buffer.ByteBuf;

/**
 * The head of a plain response (see {@link PlainResponses}), as bytes: its status line and end-to-end header lines,
 * each ending in CRLF, without the blank line that ends a head, in a buffer with room to append more lines. Its
 * body follows as {@link PlainBody} parts, the last one flagged.
 */
public final class PlainHead extends WholeBytes {

    private final int status;
    private final boolean keepAlive;

    PlainHead(ByteBuf lines, int status, boolean keepAlive) {
        super(lines);
        this.status = status;
        this.keepAlive = keepAlive;
    }

    public int status() {
        return status;
    }

    /** Whether the upstream keeps the connection open after this response (it did not say close). */
    public boolean keepAlive() {
        return keepAlive;
    }
}
