package dev.platemate.gateway.pool;

import dev.platemate.gateway.server.WholeBytes;
import io.netty.buffer.ByteBuf;

/** Bytes of a plain response's body, as they came; {@link #last()} marks the part that ends it (maybe empty). */
public final class PlainBody extends WholeBytes {

    private final boolean last;

    PlainBody(ByteBuf bytes, boolean last) {
        super(bytes);
        this.last = last;
    }

    public boolean last() {
        return last;
    }
}
