package dev.platemate.gateway.limiter;

/** Why a request waiting for a slot was turned away. */
public enum Rejection {
    /** max_queue requests were already waiting. */
    QUEUE_FULL,
    /** It waited longer than queue_timeout. */
    QUEUE_TIMEOUT,
    /** The gateway is shutting down and could not serve it in time. */
    SHUTTING_DOWN
}
