package dev.platemate.gateway.auth;

import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** No token could be had for a request: why (never the secret or a token), and when to ask again. */
public final class NoToken extends RuntimeException {

    private final long retryAfterSeconds;

    NoToken(String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The answer when {@code token} failed: 502 {@code upstream_auth}, with when to ask again. */
    public static FullHttpResponse answerFor(CompletableFuture<String> token) {
        Throwable error = token.handle((value, failure) -> failure instanceof CompletionException
                && failure.getCause() != null ? failure.getCause() : failure).join();
        FullHttpResponse refused = Responses.error(GatewayError.UPSTREAM_AUTH, error instanceof NoToken
                ? error.getMessage() : "no token for this upstream");
        refused.headers().set(HttpHeaderNames.RETRY_AFTER, error instanceof NoToken none
                ? none.retryAfterSeconds() : 1);
        return refused;
    }
}
