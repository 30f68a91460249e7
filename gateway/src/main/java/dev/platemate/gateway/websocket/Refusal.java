package dev.platemate.gateway.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;

/**
 * An upstream's answer other than 101 to a handshake (401, 403, 404, 429...), held whole to be relayed as it came:
 * its status, the fields that are the message's own, and its body, up to {@link #MAX_BODY}. One per answer;
 * event-loop only.
 */
final class Refusal {

    /** Refusals are short documents; a longer one is not relayed. */
    static final int MAX_BODY = 64 * 1024;

    private final HttpResponse head;
    private ByteBuf body = Unpooled.buffer(0, MAX_BODY);

    Refusal(HttpResponse head) {
        this.head = head;
    }

    HttpResponse head() {
        return head;
    }

    /** A part of its body (not released here); false when the body would be longer than {@link #MAX_BODY}. */
    boolean add(HttpContent content) {
        ByteBuf bytes = content.content();
        if (body.readableBytes() + bytes.readableBytes() > MAX_BODY) {
            return false;
        }
        body.writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
        return true;
    }

    /** The answer for the client; its body passes to it. */
    FullHttpResponse toClient() {
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, head.status(), body);
        body = Unpooled.EMPTY_BUFFER;
        Handshake.copyOwnFields(head, answer.headers());
        answer.headers().set(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes());
        return answer;
    }

    void release() {
        body.release();
        body = Unpooled.EMPTY_BUFFER;
    }
}
