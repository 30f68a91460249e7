package dev.platemate.gateway.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Date;

/**
 * A client's own conditional GET or HEAD held against a stored response (RFC 9110 section 13.2.2):
 * {@code If-None-Match} by weak comparison, else {@code If-Modified-Since} against the entry's Last-Modified (or its
 * Date when it has none). Stateless.
 */
final class Conditionals {

    private Conditionals() {
    }

    /** Whether the client already holds what {@code entry} would send, so a 304 answers it. */
    static boolean notModified(HttpHeaders request, CachedResponse entry) {
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matchesAny(ifNoneMatch, entry.header("etag"));
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ifModifiedSince == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        String modified = entry.header("last-modified");
        Date lastModified = DateFormatter.parseHttpDate(modified != null ? modified : entry.header("date"));
        return since != null && lastModified != null && !lastModified.after(since);
    }

    /** {@code *}, or a list of entity tags one of which weakly matches {@code etag}. */
    private static boolean matchesAny(String tags, String etag) {
        if (tags.strip().equals("*")) {
            return true;
        }
        if (etag == null) {
            return false;
        }
        String mine = opaque(etag);
        for (String tag : tags.split(",")) {
            if (opaque(tag).equals(mine)) {
                return true;
            }
        }
        return false;
    }

    /** An entity tag without its weakness prefix: weak comparison compares only this. */
    private static String opaque(String tag) {
        String t = tag.strip();
        return t.startsWith("W/") ? t.substring(2) : t;
    }
}
