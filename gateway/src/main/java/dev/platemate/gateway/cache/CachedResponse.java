package dev.platemate.gateway.cache;

import dev.platemate.gateway.server.EncodedResponse;
import dev.platemate.gateway.wire.WireNumbers;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A stored response: status, headers and body as plain bytes (never pooled buffers), with the times, in ticker
 * nanoseconds, until which it is fresh, may still be served stale, and is kept to be revalidated. Immutable;
 * shared by every hit.
 *
 * @param headers         the response's end-to-end headers, as stored
 * @param upstreamAge     the Age the upstream gave it, in seconds
 * @param revalidateUntil until when it is kept, once it may no longer be served, to be revalidated with its
 *                        validator ({@link #NOT_KEPT} without one)
 * @param varyNames       request headers named by Vary, lower case
 * @param varyValues      a SHA-256 of each value they had on the request that filled it (null for absent), so no
 *                        credential a Vary names (Authorization, Cookie) is held or shared in clear
 * @param encodedHead     the status line and headers as bytes, made once by the other constructor, shared by hits
 */
public record CachedResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, long storedAt,
                             long upstreamAge, long freshUntil, long staleWhileRevalidateUntil,
                             long staleIfErrorUntil, long revalidateUntil, List<String> varyNames,
                             List<String> varyValues, byte[] encodedHead) {

    /** The {@code revalidateUntil} of a response without a validator: before any ticker time. */
    public static final long NOT_KEPT = Long.MIN_VALUE;

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
                          long revalidateUntil, List<String> varyNames, List<String> varyValues) {
        this(status, headers, body, storedAt, upstreamAge, freshUntil, staleWhileRevalidateUntil, staleIfErrorUntil,
                revalidateUntil, varyNames, varyValues, EncodedResponse.encodeHead(status, headers));
    }

    /**
     * A response stored at {@code now} with {@code freshness}; one with a validator is kept
     * {@link CachePolicy#KEPT_FOR_REVALIDATION} past the time it may be served, to be revalidated.
     *
     * @throws IllegalArgumentException for a header that cannot be sent as it is (see EncodedResponse)
     */
    public static CachedResponse stored(int status, List<Map.Entry<String, String>> headers, byte[] body, long now,
                                        CachePolicy.Freshness freshness, List<String> varyNames,
                                        List<String> varyValues) {
        // each duration is at most WireNumbers.MAX_DELTA, so none overflows on its own; the sums saturate
        long fresh = WireNumbers.saturatedAdd(now, freshness.ttl().toNanos());
        long staleWhileRevalidate = WireNumbers.saturatedAdd(fresh, freshness.staleWhileRevalidate().toNanos());
        long staleIfError = WireNumbers.saturatedAdd(fresh, freshness.staleIfError().toNanos());
        long kept = !hasValidator(headers) ? NOT_KEPT : WireNumbers.saturatedAdd(
                Math.max(staleWhileRevalidate, staleIfError), CachePolicy.KEPT_FOR_REVALIDATION.toNanos());
        return new CachedResponse(status, headers, body, now, freshness.upstreamAge(), fresh, staleWhileRevalidate,
                staleIfError, kept, varyNames, varyValues);
    }

    /** The last moment it is of any use: fresh, stale, or to be revalidated. */
    long expiresAt() {
        return Math.max(Math.max(freshUntil, revalidateUntil), Math.max(staleWhileRevalidateUntil, staleIfErrorUntil));
    }

    /**
     * What it is good for at {@code now}: serving (fresh, or stale within stale-while-revalidate), serving only if
     * the upstream fails, revalidating, or nothing.
     */
    ResponseCache.State stateAt(long now) {
        if (now >= expiresAt()) {
            return ResponseCache.State.MISS;
        }
        if (now < freshUntil) {
            return ResponseCache.State.FRESH;
        }
        if (now < staleWhileRevalidateUntil) {
            return ResponseCache.State.STALE;
        }
        return now < staleIfErrorUntil ? ResponseCache.State.STALE_IF_ERROR : ResponseCache.State.EXPIRED;
    }

    /** A stored header's first value, or null. */
    public String header(String name) {
        return header(headers, name);
    }

    private static String header(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> header : headers) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return null;
    }

    private static boolean hasValidator(List<Map.Entry<String, String>> headers) {
        return header(headers, "etag") != null || header(headers, "last-modified") != null;
    }

    /** Whether a conditional request can revalidate it (it has an ETag or a Last-Modified). */
    public boolean revalidatable() {
        return hasValidator(headers);
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
            if (!Objects.equals(varyValue(requestHeaders.get(varyNames.get(i))), varyValues.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** How a request header's value named by Vary is held: a SHA-256, or null when absent. */
    public static String varyValue(String value) {
        return value == null ? null : CacheKey.sha256(value.getBytes(StandardCharsets.ISO_8859_1));
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
