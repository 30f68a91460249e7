package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpObject;

/**
 * Bytes that travel a pipeline among HTTP objects, as one of them: the parts of a response relayed as bytes rather
 * than decoded. Nothing decoded them, so nothing failed: the decoder result is always success.
 */
public abstract class WholeBytes extends DefaultByteBufHolder implements HttpObject {

    protected WholeBytes(ByteBuf bytes) {
        super(bytes);
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
        throw new UnsupportedOperationException("bytes relayed as they are have no decoder result to set");
    }
}
