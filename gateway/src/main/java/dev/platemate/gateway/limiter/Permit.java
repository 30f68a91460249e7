package dev.platemate.gateway.limiter;

/** A granted slot. {@link #release()} gives it back; calls after the first do nothing. Any thread. */
public interface Permit {

    void release();

    /**
     * The upstream answered {@code status} to the request holding the slot: an adaptive limiter shrinks on 429 and
     * 503, and counts the rest as clean completions when the slot is released.
     *
     * @return whether its count answers this 429 or 503 (it shrank, or is still above its min), so that the request
     *     may go again without pausing everyone for the provider's Retry-After
     */
    default boolean answered(int status) {
        return false;
    }

    /**
     * Gives the slot back because the upstream answered 429: the limiter holds every dispatch until
     * {@code untilNanos} (ticker time), then this request goes again first, with its original deadline.
     *
     * @return its place in the queue, to cancel if the client leaves
     */
    Ticket releaseAndRetryFirst(long untilNanos, SlotListener listener);
}
