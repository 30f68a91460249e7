package dev.platemate.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A JSON error the gateway made itself (DESIGN.md's table), which says which it is: so that a stage in front of
 * the exchange (a fallback) can tell the gateway's own 502 from an upstream's. A copy of it is a plain response.
 */
public final class ErrorResponse extends DefaultFullHttpResponse {

    private final GatewayError error;
    private final boolean aboutCaller;

    ErrorResponse(GatewayError error, ByteBuf body, boolean aboutCaller) {
        super(HttpVersion.HTTP_1_1, error.status(), body);
        this.error = error;
        this.aboutCaller = aboutCaller;
    }

    public GatewayError error() {
        return error;
    }

    /** Whether it is the caller's own limit (its rate or tokens), not the upstream's. */
    public boolean aboutCaller() {
        return aboutCaller;
    }
}
