package dev.platemate.gateway.wire;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;

/**
 * Netty's request encoder, except for a request that already has the bytes of its upstream head
 * ({@link RawHeadRequest#upstreamHead}): those are written as they are, in place of its request line and headers.
 * Framing and bodies are Netty's either way: the state that follows a head is decided from the request's headers,
 * which say what the bytes say. Per connection; event-loop only.
 */
public final class UpstreamRequestEncoder extends HttpRequestEncoder {

    private boolean headWritten;

    @Override
    protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
        headWritten = false;
        byte[] head = request instanceof RawHeadRequest raw ? raw.upstreamHead() : null;
        if (head == null) {
            super.encodeInitialLine(buf, request);
        } else {
            buf.writeBytes(head);
            headWritten = true;
        }
    }

    @Override
    protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
        if (headWritten) {
            headWritten = false;
        } else {
            super.encodeHeaders(headers, buf);
        }
    }
}
