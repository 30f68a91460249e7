package dev.platemate.gateway.pool;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseDecoder;

/**
 * Netty's response decoder, told by the connection whether the request in flight is a HEAD, whose answer has no
 * body whatever its headers say. (Netty's client codec pairs requests and responses itself, which plain responses
 * taken off before it would upset.) Per channel; event-loop only.
 */
final class UpstreamResponseDecoder extends HttpResponseDecoder {

    private boolean headRequest;

    UpstreamResponseDecoder(HttpDecoderConfig config) {
        super(config);
    }

    void expectHead(boolean head) {
        headRequest = head;
    }

    /** Whether bytes are buffered that no response has claimed yet (called when a response has ended). */
    boolean hasLeftovers() {
        return internalBuffer().isReadable();
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        return headRequest || super.isContentAlwaysEmpty(msg);
    }
}
