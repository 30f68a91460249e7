package dev.platemate.gateway.server;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Builds the responses the gateway answers itself: OpenAI-shaped JSON errors and small JSON documents. */
public final class Responses {

    private Responses() {
    }

    /** The JSON error of DESIGN.md; 429 and 503 get a Retry-After of {@code retryAfterSeconds} (at least 1). */
    public static FullHttpResponse error(GatewayError error, String message, long retryAfterSeconds) {
        return error(error, message, retryAfterSeconds, false);
    }

    /** The same, for a limit of the caller's own (see {@link ErrorResponse#aboutCaller}). */
    public static FullHttpResponse callerError(GatewayError error, String message, long retryAfterSeconds) {
        return error(error, message, retryAfterSeconds, true);
    }

    private static FullHttpResponse error(GatewayError error, String message, long retryAfterSeconds,
                                          boolean aboutCaller) {
        String body = "{\"error\":{\"message\":\"" + escape(message) + "\",\"type\":\"" + error.type()
                + "\",\"code\":" + error.status().code() + "}}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = ownHeaders(new ErrorResponse(error, Unpooled.wrappedBuffer(bytes), aboutCaller),
                bytes.length, HttpHeaderValues.APPLICATION_JSON);
        if (error.needsRetryAfter()) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, Math.max(1, retryAfterSeconds));
        }
        return response;
    }

    public static FullHttpResponse error(GatewayError error, String message) {
        return error(error, message, 1);
    }

    public static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        return of(status, body, HttpHeaderValues.APPLICATION_JSON);
    }

    /** A complete, uncacheable response of the gateway's own. */
    public static FullHttpResponse of(HttpResponseStatus status, byte[] body, CharSequence contentType) {
        return ownHeaders(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body)),
                body.length, contentType);
    }

    private static FullHttpResponse ownHeaders(FullHttpResponse response, int length, CharSequence contentType) {
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    /** Marks a response as the last on its connection. */
    public static FullHttpResponse closing(FullHttpResponse response) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
