package dev.platemate.gateway.limiter;

/** Learns how a wait for a slot ended. Called exactly once, on the event loop the request was queued from. */
public interface SlotListener {

    /** A slot is granted; the listener owns {@code permit} and must release it. */
    void onSlot(Permit permit, long waitedNanos);

    /** No slot: answer 503 with {@code retryAfterSeconds} (at least 1). */
    void onRejected(Rejection rejection, long retryAfterSeconds);
}
