package dev.platemate.gateway.proxy;

import dev.platemate.gateway.wire.WireNumbers;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * An upstream response the client has not seen: the provider's 429, held while the request waits to go again, and
 * given to the client as it was if the request's time runs out. Holds plain bytes, never pooled buffers.
 */
final class AbsorbedResponse {

    private static final int MAX_BODY = 64 * 1024;

    private final HttpResponse head;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    AbsorbedResponse(HttpResponse head) {
        this.head = head;
    }

    /** Copies the part's bytes (up to a bound) and releases it. */
    void append(HttpContent part) {
        int room = MAX_BODY - body.size();
        int n = Math.min(room, part.content().readableBytes());
        if (n > 0) {
            byte[] bytes = new byte[n];
            part.content().getBytes(part.content().readerIndex(), bytes);
            body.write(bytes, 0, n);
        }
        part.release();
    }

    /** How long the upstream asked us to wait: Retry-After in seconds or as a date; 1 s when it did not say. */
    Duration retryAfter(ZonedDateTime now) {
        return retryAfter(now, Duration.ofSeconds(1));
    }

    Duration retryAfter(ZonedDateTime now, Duration fallback) {
        return retryAfter(head.headers(), now, fallback);
    }

    /** A Retry-After header's wait, in seconds or until a date, or {@code fallback} without a valid one. */
    static Duration retryAfter(HttpHeaders headers, ZonedDateTime now, Duration fallback) {
        String value = headers.get(HttpHeaderNames.RETRY_AFTER);
        if (value == null) {
            return fallback;
        }
        long seconds = WireNumbers.deltaSeconds(value);
        if (seconds >= 0) {
            return Duration.ofSeconds(seconds);
        }
        try {
            return WireNumbers.clamp(Duration.between(now, ZonedDateTime.parse(value.trim(),
                    DateTimeFormatter.RFC_1123_DATE_TIME)));
        } catch (RuntimeException notADate) {
            return fallback;
        }
    }

    /** The response as the upstream sent it, complete, for the client. */
    FullHttpResponse toResponse() {
        byte[] bytes = body.toByteArray();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, head.status(),
                Unpooled.wrappedBuffer(bytes));
        response.headers().set(head.headers());
        HttpUtil.setTransferEncodingChunked(response, false);
        HttpUtil.setContentLength(response, bytes.length);
        return response;
    }
}
