package dev.platemate.gateway.cache;

import dev.platemate.gateway.server.EncodedResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A stored response: status, headers and body as plain bytes (never pooled buffers), with the times, in ticker
 * nanoseconds, until which it is fresh and may still be served stale. Immutable; shared by every hit.
 *
 * @param headers     the response's end-to-end headers, as stored
 * @param upstreamAge the Age the upstream gave it, in seconds
 * @param varyNames   request headers named by Vary, lower case
 * @param varyValues  the values they had on the request that filled it (null for absent)
 * @param encodedHead the status line and headers as bytes, made once by the other constructor and shared by hits
 */
public record CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long storedAt,
                             long upstreamAge, long freshUntil, long staleWhileRevalidateUntil,
                             long staleIfErrorUntil, List<String> varyNames, List<String> varyValues,
                             byte[] encodedHead) {

    private static final byte[] EMPTY = new byte[0];

    public CachedResponse {
        headers = List.copyOf(headers);
        varyNames = List.copyOf(varyNames);
        varyValues = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(varyValues));
    }

    /**
     * Encodes the head once. The stored headers are the upstream's, which are passed on as they came when proxied
     * (see UpstreamConnector); they are checked only for what could break the framing of a hit.
     *
     * @throws IllegalArgumentException for a header that cannot be sent as it is (see EncodedResponse)
     */
    public CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long storedAt,
                          long upstreamAge, long freshUntil, long staleWhileRevalidateUntil, long staleIfErrorUntil,
                          List<String> varyNames, List<String> varyValues) {
        this(status, headers, body, storedAt, upstreamAge, freshUntil, staleWhileRevalidateUntil, staleIfErrorUntil,
                varyNames, varyValues, EncodedResponse.encodeHead(status, headers));
    }

    /** The last moment it may be served at all, fresh or stale. */
    long expiresAt() {
        return Math.max(freshUntil, Math.max(staleWhileRevalidateUntil, staleIfErrorUntil));
    }

    /** Whether it may be served at {@code now}: fresh, stale within stale-while-revalidate, only on error, or not. */
    ResponseCache.State stateAt(long now) {
        if (now >= expiresAt()) {
            return ResponseCache.State.MISS;
        }
        if (now < freshUntil) {
            return ResponseCache.State.FRESH;
        }
        return now < staleWhileRevalidateUntil ? ResponseCache.State.STALE : ResponseCache.State.STALE_IF_ERROR;
    }

    /** Bytes held, for the cache's bound. */
    int weight() {
        int weight = 128 + body.length + encodedHead.length;
        for (Map.Entry<String, String> header : headers) {
            weight += 32 + header.getKey().length() + header.getValue().length();
        }
        return weight;
    }

    /** Whether a request with {@code requestHeaders} selects this variant (its Vary headers match). */
    public boolean matches(HttpHeaders requestHeaders) {
        for (int i = 0; i < varyNames.size(); i++) {
            if (!Objects.equals(requestHeaders.get(varyNames.get(i)), varyValues.get(i))) {
                return false;
            }
        }
        return true;
    }

    public long ageSeconds(long now) {
        return upstreamAge + Math.max(0, (now - storedAt) / 1_000_000_000L);
    }

    /**
     * The response for a client, sharing the stored bytes (read-only), with its head encoded already; only
     * Content-Length, Age and X-Cache are added ({@code xCache} says how it was served: HIT, MISS or STALE). A HEAD
     * request gets the headers without the body.
     */
    public FullHttpResponse toResponse(long now, String xCache, boolean head) {
        return new EncodedResponse(HttpResponseStatus.valueOf(status), encodedHead, head ? EMPTY : body, body.length,
                ageSeconds(now), xCache);
    }
}
