package dev.platemate.gateway.probe;

/**
 * Told each time a request reaches a stage of its life. The gateway passes {@link #NONE}; the fault-injection
 * tests pass one that throws at a chosen stage, to prove that an exception anywhere on a request's path ends that
 * exchange with one answer (or a cut connection) and leaves nothing held. Called on the event loop of the request's
 * client connection; must be cheap.
 */
@FunctionalInterface
public interface Probe {

    /** The stages, in the order a cached, limited, rate-limited request meets them. */
    enum Stage {
        /** A request head was decoded. */
        DECODE,
        /** The request matched a route. */
        ROUTE,
        /** The caller's rate limit let it through. */
        RATE_LIMIT,
        /** Its limiter granted it a slot. */
        LIMITER_GRANT,
        /** The cache was looked up for it. */
        CACHE_LOOKUP,
        /** An upstream connection was handed to it. */
        UPSTREAM_CONNECT,
        /** Its head (and body so far) was written upstream. */
        REQUEST_WRITE,
        /** The upstream's response head arrived. */
        RESPONSE_HEAD,
        /** A part of the upstream's response body arrived. */
        BODY_PART,
        /** The response is being stored in the cache. */
        CACHE_STORE,
        /** The response was relayed to its end. */
        RESPONSE_COMPLETE,
        /** The request's end is told to the metrics and the access log. */
        LISTENERS
    }

    Probe NONE = stage -> { };

    void at(Stage stage);
}
