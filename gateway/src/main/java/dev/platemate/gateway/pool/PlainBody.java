package dev.platemate.gateway.pool;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpObject;

/** Bytes of a plain response's body, as they came; {@link #last()} marks the part that ends it (maybe empty). */
public final class PlainBody extends DefaultByteBufHolder implements HttpObject {

    private final boolean last;

    PlainBody(ByteBuf bytes, boolean last) {
        super(bytes);
        this.last = last;
    }

    public boolean last() {
        return last;
    }

    @Override
    public DecoderResult decoderResult() {
        return DecoderResult.SUCCESS;
    }

    @Override
    @Deprecated
    public DecoderResult getDecoderResult() {
        return DecoderResult.SUCCESS;
    }

    @Override
    public void setDecoderResult(DecoderResult result) {
        throw new UnsupportedOperationException("plain body bytes are always whole");
    }
}
