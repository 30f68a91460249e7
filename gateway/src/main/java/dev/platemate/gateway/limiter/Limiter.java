package dev.platemate.gateway.limiter;

import dev.platemate.gateway.config.LimiterConfig;
import io.netty.channel.EventLoop;

/**
 * Holds one group of requests (a {@code limiters:} entry) to {@code max_concurrent} in flight; the rest wait in
 * FIFO order, up to {@code max_queue}, for at most their deadline. Shared by all event loops; thread-safe.
 */
public interface Limiter {

    String name();

    /** The settings in force (they may change at run time). */
    LimiterConfig config();

    /**
     * Asks for a slot. The listener is called once, on {@code loop}: granted, or refused (queue full, deadline
     * passed, shutting down).
     *
     * @param deadlineNanos ticker time after which the request stops waiting
     */
    Ticket acquire(EventLoop loop, SlotListener listener, long deadlineNanos);

    /**
     * Takes new settings at run time (a reload): a higher max_concurrent dispatches waiters at once, a lower one
     * lets slots drain; nobody queued is dropped, and each keeps the deadline it was given.
     */
    void reconfigure(LimiterConfig config);

    /**
     * A request of this limiter starts ({@code true}) or stops waiting for its AI tokens before it joins the queue:
     * it counts as queued meanwhile. Any thread.
     */
    default void waitingForTokens(boolean waiting) {
    }

    /** Refuses everyone still queued with {@link Rejection#SHUTTING_DOWN}. */
    void rejectQueued();

    LimiterStats stats();
}
