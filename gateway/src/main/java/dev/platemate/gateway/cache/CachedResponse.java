package dev.platemate.gateway.cache;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
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
 */
public record CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long storedAt,
                             long upstreamAge, long freshUntil, long staleWhileRevalidateUntil,
                             long staleIfErrorUntil, List<String> varyNames, List<String> varyValues) {

    /**
     * The stored headers are the upstream's, which are passed on as they came when proxied (see UpstreamConnector),
     * so a hit does not validate them again either.
     */
    private static final HttpHeadersFactory STORED_HEADERS = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

    public CachedResponse {
        headers = List.copyOf(headers);
        varyNames = List.copyOf(varyNames);
        varyValues = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(varyValues));
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
        int weight = 128 + body.length;
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
     * The response for a client, sharing the stored bytes (read-only). {@code xCache} says how it was served;
     * a HEAD request gets the headers without the body.
     */
    public FullHttpResponse toResponse(long now, String xCache, boolean head) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), STORED_HEADERS, STORED_HEADERS);
        HttpHeaders out = response.headers();
        headers.forEach(h -> out.add(h.getKey(), h.getValue()));
        out.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        out.set(HttpHeaderNames.AGE, ageSeconds(now));
        out.set("x-cache", xCache);
        return response;
    }
}
