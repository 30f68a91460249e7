package dev.platemate.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayDeque;

/**
 * The request body parts an exchange holds: those that arrived before its upstream connection did, and, while
 * the connection is a reused one that might turn out stale, copies of what was sent so the request can be sent
 * again. Copies are kept only up to {@link #REPLAY_LIMIT}; a larger body cannot be retried. Owns every part it
 * holds. Event-loop only.
 */
final class RequestBody {

    /** Bytes held before the client is paused, and the most a retry may resend. */
    static final int REPLAY_LIMIT = 64 * 1024;

    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();
    private final ArrayDeque<HttpContent> sent = new ArrayDeque<>();
    private long pendingBytes;
    private long sentBytes;
    private boolean replayable;

    /** Holds a part until a connection is there. @return true when the client should stop sending for now */
    boolean hold(HttpContent content) {
        pending.add(content);
        pendingBytes += content.content().readableBytes();
        return pendingBytes > REPLAY_LIMIT;
    }

    /** Whether copies of what is sent from now on are kept for a retry. */
    void replayable(boolean keepCopies) {
        replayable = keepCopies;
    }

    boolean replayable() {
        return replayable;
    }

    void sendPending(Channel channel) {
        HttpContent content;
        while ((content = pending.poll()) != null) {
            send(channel, content);
        }
        pendingBytes = 0;
    }

    void send(Channel channel, HttpContent content) {
        if (replayable) {
            sentBytes += content.content().readableBytes();
            if (sentBytes <= REPLAY_LIMIT) {
                sent.add(content);
                channel.write(content.retainedDuplicate(), channel.voidPromise());
                return;
            }
            replayable = false;
            releaseAll(sent);
        }
        channel.write(content, channel.voidPromise());
    }

    /** Puts what was sent back in front, to be sent again on a new connection. */
    void rewind() {
        while (!sent.isEmpty()) {
            HttpContent content = sent.pollLast();
            pending.addFirst(content);
            pendingBytes += content.content().readableBytes();
        }
        sentBytes = 0;
        replayable = false;
    }

    /** Drops everything held; no copy is needed once the response has begun or the exchange ended. */
    void release() {
        releaseAll(pending);
        releaseAll(sent);
        pendingBytes = 0;
        sentBytes = 0;
        replayable = false;
    }

    private static void releaseAll(ArrayDeque<HttpContent> parts) {
        HttpContent content;
        while ((content = parts.poll()) != null) {
            content.release();
        }
    }
}
