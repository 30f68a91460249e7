package dev.platemate.gateway.server;

/** Told about every request the gateway finished, on the client connection's event loop; must not block. */
public interface RequestListener {

    RequestListener NONE = summary -> { };

    void requestEnded(RequestSummary summary);

    /** Tells {@code this}, then {@code next}. */
    default RequestListener andThen(RequestListener next) {
        return summary -> {
            requestEnded(summary);
            next.requestEnded(summary);
        };
    }
}
