package dev.platemate.gateway.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.net.InetAddress;

/** What an {@link Exchange} may do with the client connection it serves. Event-loop only. */
public interface ClientSide {

    Channel channel();

    InetAddress remoteAddress();

    /**
     * Stops (or resumes) reading the request body from the client, for backpressure. The connection combines this
     * with its own reasons to pause; the wish is forgotten when the exchange ends.
     */
    void suspendReading(boolean suspend);

    /** Whether the connection may carry another request after this one (client asked, not draining). */
    boolean keepAliveWanted();

    /**
     * The last part of the response has been written (not necessarily flushed).
     *
     * @param keepAlive false when the connection must close after it
     */
    void responseComplete(boolean keepAlive);

    /**
     * Writes a complete response of the gateway's own and ends the exchange with it; the connection stays open only
     * if {@code keepAlive} and {@link #keepAliveWanted()}.
     */
    void respond(FullHttpResponse response, boolean keepAlive);

    /** Cut the connection: the response cannot be completed. */
    void abort();
}
