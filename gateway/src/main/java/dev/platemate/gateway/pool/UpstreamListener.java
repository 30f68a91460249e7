package dev.platemate.gateway.pool;

import io.netty.handler.codec.http.HttpObject;

/** Receives what happens on an upstream connection while an exchange holds it. Called on that connection's loop. */
public interface UpstreamListener {

    /** A decoded part of the response, or a {@link PlainHead} or {@link PlainBody}; ownership passes. */
    void onResponsePart(HttpObject part);

    /** The end of one read from the socket: a good moment to flush what was relayed. */
    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged();

    /** The connection closed (reset, or the upstream hung up). */
    void onUpstreamClosed();

    /** Nothing was read for the upstream's idle_timeout. */
    void onUpstreamReadIdle();

    /**
     * Handling one of the events above threw {@code cause}; the connection is closing. The exchange must end now:
     * release what it holds and let its client hear (an error, or a cut connection).
     */
    void failed(Throwable cause);
}
