package dev.platemate.gateway.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Revalidating a stored response with its upstream (RFC 9111 section 4.3): the conditional request it takes, and
 * the stored headers a 304 freshens. Stateless.
 */
public final class Revalidation {

    /**
     * What a 304 does not change in a stored response, beside what is never stored: what describes the stored body,
     * and the validator the body goes with.
     */
    private static final Set<String> NOT_UPDATED = Set.of("content-encoding", "content-md5", "content-range", "etag");

    private Revalidation() {
    }

    /**
     * Makes an upstream request conditional on {@code entry}: its ETag as If-None-Match, its Last-Modified as
     * If-Modified-Since, in place of any conditionals of the client's own (those are answered from the entry).
     */
    public static void makeConditional(HttpHeaders upstreamRequest, CachedResponse entry) {
        upstreamRequest.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        String etag = entry.header("etag");
        String lastModified = entry.header("last-modified");
        if (etag != null) {
            upstreamRequest.set(HttpHeaderNames.IF_NONE_MATCH, etag);
        }
        if (lastModified != null) {
            upstreamRequest.set(HttpHeaderNames.IF_MODIFIED_SINCE, lastModified);
        }
    }

    /**
     * The stored headers freshened by a 304's: each field the 304 carries replaces the stored one of that name,
     * except those in {@link #NOT_UPDATED} and {@code notStored}; the rest stay as stored, in their order.
     *
     * @param notStored names the cache never stores (lower case: framing, hop-by-hop, its own), never taken
     */
    public static List<Map.Entry<String, String>> freshened(List<Map.Entry<String, String>> stored,
                                                           HttpHeaders notModified, Set<String> notStored) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (Map.Entry<String, String> header : stored) {
            if (!replaced(header.getKey(), notModified, notStored)) {
                out.add(header);
            }
        }
        for (Map.Entry<String, String> header : notModified) {
            if (replaced(header.getKey(), notModified, notStored)) {
                out.add(Map.entry(header.getKey(), header.getValue()));
            }
        }
        return out;
    }

    private static boolean replaced(String name, HttpHeaders notModified, Set<String> notStored) {
        String lower = name.toLowerCase(Locale.ROOT);
        return notModified.contains(name) && !NOT_UPDATED.contains(lower) && !notStored.contains(lower);
    }
}
