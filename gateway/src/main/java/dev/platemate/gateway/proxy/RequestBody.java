package dev.platemate.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayDeque;

/**
 * The request body parts an exchange holds: those that arrived before its upstream connection did, and copies of
 * what was sent, while the request may have to be sent again (a stale pooled connection; an upstream 429 on a
 * limited route). Copies are kept up to a limit; past it the request can no longer be resent. Owns every part it
 * holds. Event-loop only.
 */
final class RequestBody {

    /** Bytes held before the client is paused, and the most a stale-connection retry may resend. */
    static final int RETRY_LIMIT = 64 * 1024;

    private final long copyLimit;
    // most requests hold one part (a GET's empty last content); the deques grow when a body comes in parts
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(2);
    private final ArrayDeque<HttpContent> sent = new ArrayDeque<>(2);
    private long pendingBytes;
    private long sentBytes;
    private boolean keepingCopies;

    /** @param wholeBody keep the whole body, however large (the server's max_body_size bounds it) */
    RequestBody(boolean wholeBody) {
        this.copyLimit = wholeBody ? Long.MAX_VALUE : RETRY_LIMIT;
    }

    /** Holds a part until a connection is there. @return true when the client should stop sending for now */
    boolean hold(HttpContent content) {
        pending.add(content);
        pendingBytes += content.content().readableBytes();
        return pendingBytes > copyLimit;
    }

    /** Whether copies of what is sent from now on are kept to send again. */
    void keepCopies(boolean keep) {
        keepingCopies = keep;
    }

    /** Whether everything sent so far could be sent again. */
    boolean canResend() {
        return keepingCopies;
    }

    void sendPending(Channel channel) {
        HttpContent content;
        while ((content = pending.poll()) != null) {
            send(channel, content);
        }
        pendingBytes = 0;
    }

    void send(Channel channel, HttpContent content) {
        if (keepingCopies) {
            sentBytes += content.content().readableBytes();
            if (sentBytes <= copyLimit) {
                sent.add(content);
                channel.write(content.retainedDuplicate(), channel.voidPromise());
                return;
            }
            keepingCopies = false;
            releaseAll(sent);
        }
        channel.write(content, channel.voidPromise());
    }

    /** Puts what was sent back in front, to be sent again on another connection. */
    void rewind() {
        while (!sent.isEmpty()) {
            HttpContent content = sent.pollLast();
            pending.addFirst(content);
            pendingBytes += content.content().readableBytes();
        }
        sentBytes = 0;
        keepingCopies = false;
    }

    /** Drops everything held; no copy is needed once the response has begun or the exchange ended. */
    void release() {
        releaseAll(pending);
        releaseAll(sent);
        pendingBytes = 0;
        sentBytes = 0;
        keepingCopies = false;
    }

    private static void releaseAll(ArrayDeque<HttpContent> parts) {
        HttpContent content;
        while ((content = parts.poll()) != null) {
            content.release();
        }
    }
}
