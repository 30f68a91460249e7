package dev.platemate.gateway.server;

import io.netty.handler.codec.http.HttpContent;

/**
 * One request on a client connection, from its head to the end of its response. All methods are called on the
 * client channel's event loop. The exchange ends its response with {@link ClientSide#responseComplete(boolean)}.
 */
public interface Exchange {

    /** A part of the request body; the exchange owns it and must release or forward it. */
    void onRequestContent(HttpContent content);

    /**
     * The request cannot go on (a broken body, too large): answer {@code error} if no response has started, and
     * make sure nothing half-received is left upstream.
     */
    void abort(GatewayError error, String message);

    /** The client connection's writability changed; resume or pause reading the response source. */
    void onClientWritabilityChanged();

    /** The client connection closed; release everything held for this exchange. Called at most once. */
    void onClientClosed();
}
