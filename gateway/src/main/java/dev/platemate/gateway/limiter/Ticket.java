package dev.platemate.gateway.limiter;

/** A place in a limiter's queue. */
public interface Ticket {

    /** The requester left: leave the queue at once. No effect once a slot was granted or refused. */
    void cancel();
}
