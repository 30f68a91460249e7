package dev.platemate.gateway.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The client connection's response encoder. Netty's, plus two things: an {@link EncodedResponse} or
 * {@link WireBytes} go out as the bytes they already are, and the answer to a HEAD request has no body.
 * {@link InboundHandler} serves one request at a time and says which method it answers; any response ended resets
 * that, so an answer of the connection's own (a 408 between requests) is never mistaken for a HEAD answer. Per
 * channel; event-loop only.
 */
final class ResponseEncoder extends HttpResponseEncoder {

    private boolean answeringHead;

    /** The response written next answers a request with {@code method}. */
    void answering(HttpMethod method) {
        answeringHead = HttpMethod.HEAD.equals(method);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean ends = msg instanceof WireBytes wire ? wire.last()
                : msg instanceof LastHttpContent && !(msg instanceof HttpResponse response && informational(response));
        if (msg instanceof EncodedResponse encoded) {
            ctx.write(encoded.encode(ctx.alloc()), promise);
        } else if (msg instanceof WireBytes bytes) {
            ctx.write(bytes.content(), promise);
        } else {
            super.write(ctx, msg, promise);
        }
        if (ends) {
            answeringHead = false;
        }
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        return answeringHead && !informational(msg) || super.isContentAlwaysEmpty(msg);
    }

    private static boolean informational(HttpResponse response) {
        return response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }
}
