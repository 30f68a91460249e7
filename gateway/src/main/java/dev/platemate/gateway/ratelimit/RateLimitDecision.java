package dev.platemate.gateway.ratelimit;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * The answer of a token bucket for one request.
 *
 * @param limit             tokens per window (RateLimit-Limit)
 * @param remaining         tokens left (RateLimit-Remaining)
 * @param resetSeconds      until the bucket is full again (RateLimit-Reset)
 * @param retryAfterSeconds until the next token, when refused (Retry-After), at least 1
 * @param waitNanos         until the next token, when refused, exactly
 */
public record RateLimitDecision(boolean allowed, long limit, long remaining, long resetSeconds,
                                long retryAfterSeconds, long waitNanos) {

    /** Adds the RateLimit-* headers (and Retry-After when refused) to a response. */
    public void addHeaders(HttpHeaders headers) {
        headers.set("ratelimit-limit", limit).set("ratelimit-remaining", remaining)
                .set("ratelimit-reset", resetSeconds);
        if (!allowed) {
            headers.set("retry-after", retryAfterSeconds);
        }
    }
}
