package dev.platemate.gateway.limiter;

/** A granted slot. {@link #release()} gives it back; calls after the first do nothing. Any thread. */
public interface Permit {

    void release();

    /**
     * Gives the slot back because the upstream answered 429: the limiter holds every dispatch until
     * {@code untilNanos} (ticker time), then this request goes again first, with its original deadline.
     *
     * @return its place in the queue, to cancel if the client leaves
     */
    Ticket releaseAndRetryFirst(long untilNanos, SlotListener listener);
}
