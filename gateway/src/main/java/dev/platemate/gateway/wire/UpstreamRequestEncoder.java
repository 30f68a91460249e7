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

    private HttpHeaders written;   // the headers of the request whose head went as bytes, until they come

    @Override
    protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
        HeadBytes head = request instanceof RawHeadRequest raw ? raw.upstreamHead() : null;
        written = head == null ? null : request.headers();
        if (head == null) {
            super.encodeInitialLine(buf, request);
        } else {
            head.writeTo(buf);
        }
    }

    @Override
    protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
        if (headers == written) {
            written = null;
        } else {
            super.encodeHeaders(headers, buf);
        }
    }
}
