package dev.platemate.gateway.cache;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a request gets from a stored response: 304 Not Modified when its own conditionals say it has it already
 * (see {@link Conditionals}), 206 with one byte range when it asks for one (and its If-Range, if any, holds), or
 * the stored response itself. Only a stored 200 is answered 304 or 206. Stateless.
 */
public final class EntryAnswers {

    /** What describes a body, left out of a 304 (RFC 9110 section 15.4.5). */
    private static final Set<String> NOT_IN_304 = Set.of("content-type", "content-encoding", "content-language",
            "content-range", "content-md5");

    /** Stored names are the upstream's, read unvalidated (see UpstreamConnector): so are they written again. */
    private static final HttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

    private EntryAnswers() {
    }

    /**
     * @param request the client's request headers (empty for a method whose conditionals do not apply, POST)
     * @param head    whether it is a HEAD request: headers only, never a range
     */
    public static FullHttpResponse answer(CachedResponse entry, HttpHeaders request, long now, String xCache,
                                          boolean head) {
        if (entry.status() != 200) {
            return entry.toResponse(now, xCache, head);
        }
        if (Conditionals.notModified(request, entry)) {
            return notModified(entry, now, xCache);
        }
        ByteRange range = head || !ifRangeHolds(request.get(HttpHeaderNames.IF_RANGE), entry) ? null
                : ByteRange.of(request.get(HttpHeaderNames.RANGE), entry.body().length);
        return range == null ? entry.toResponse(now, xCache, head) : partial(entry, range, now, xCache);
    }

    private static FullHttpResponse notModified(CachedResponse entry, long now, String xCache) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER, UNCHECKED, UNCHECKED);
        for (Map.Entry<String, String> header : entry.headers()) {
            if (!NOT_IN_304.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                response.headers().add(header.getKey(), header.getValue());
            }
        }
        response.headers().set(HttpHeaderNames.AGE, entry.ageSeconds(now)).set("x-cache", xCache);
        return response;
    }

    /** The range's bytes, sharing the stored body (read-only), with Content-Range and its own Content-Length. */
    private static FullHttpResponse partial(CachedResponse entry, ByteRange range, long now, String xCache) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.PARTIAL_CONTENT,
                Unpooled.wrappedBuffer(entry.body(), (int) range.first(), range.size()).asReadOnly(), UNCHECKED,
                UNCHECKED);
        entry.headers().forEach(header -> response.headers().add(header.getKey(), header.getValue()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range.first() + "-" + range.last() + "/"
                        + entry.body().length)
                .set(HttpHeaderNames.CONTENT_LENGTH, range.size())
                .set(HttpHeaderNames.AGE, entry.ageSeconds(now)).set("x-cache", xCache);
        return response;
    }

    /**
     * No If-Range, or one the entry satisfies: a strong entity tag equal to its ETag, or a date equal to its
     * Last-Modified (RFC 9110 section 13.1.5). Otherwise the whole response answers.
     */
    private static boolean ifRangeHolds(String ifRange, CachedResponse entry) {
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.strip();
        if (value.startsWith("\"") || value.startsWith("W/")) {
            return !value.startsWith("W/") && value.equals(entry.header("etag"));
        }
        Date date = DateFormatter.parseHttpDate(value);
        String lastModified = entry.header("last-modified");
        Date modified = lastModified == null ? null : DateFormatter.parseHttpDate(lastModified);
        return date != null && date.equals(modified);
    }
}
