package dev.platemate.gateway.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import java.net.InetAddress;

/**
 * Where an {@link Exchange} sends its response: the client connection, or something standing in front of it (a
 * cache fill). Every method is called on {@link #eventLoop()}.
 */
public interface ClientSide {

    EventLoop eventLoop();

    InetAddress remoteAddress();

    /** Whether the connection may carry another request after this one (client asked, not draining). */
    boolean keepAliveWanted();

    /** Writes a part of the response (not flushed); ownership of {@code part} passes. */
    void write(HttpObject part);

    void flush();

    /**
     * The exchange made progress without writing here (a cache fill read more of its response): the connection's
     * backstop waits on. Cheap; called per part.
     */
    default void progressed() {
    }

    /** Whether the client takes more now; when not, stop reading the response source until it changes. */
    boolean isWritable();

    /**
     * Stops (or resumes) reading the request body from the client, for backpressure. The connection combines this
     * with its own reasons to pause; the wish is forgotten when the exchange ends.
     */
    void suspendReading(boolean suspend);

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

    /** The request matched {@code route}, served by {@code upstream}: for the access log and the metrics. */
    default void routed(String route, String upstream) {
    }

    /**
     * What the request spent queued and upstream so far, in milliseconds (-1: not at all), told by an exchange
     * whose client left before a response head could carry them in Server-Timing: for the access log.
     */
    default void timed(long queueMillis, long upstreamMillis) {
    }

    /** {@code from} did not serve the request (for {@code reason}, a fallback trigger); {@code to} is tried next. */
    default void fellBack(String from, String to, String reason) {
    }

    /** Who made the request, as the rate limits name callers (see {@link RequestSummary#caller}). */
    default void identified(String caller) {
    }

    /** The tokens an AI request used, told before its response completes (or when its client left). */
    default void metered(TokenUsage usage) {
    }

    /**
     * Ends the exchange by switching the connection to another protocol: writes {@code switching} (a 101), takes the
     * HTTP handlers out of the pipeline and puts {@code handlers} in their place, in order; they own the connection
     * from then on, and it counts as in flight (shutdown waits for it) until it closes; when the gateway is draining
     * they hear {@link Lifecycle#DRAIN} once the switch is done. Bytes of the client's not yet decoded go to them
     * (a client sends nothing more before the 101, RFC 6455 section 4.1; what it did send was read as HTTP, and then
     * the connection cannot switch).
     *
     * @return the channel, or null when the connection cannot switch (the client sent another request behind this
     *     one, left, or the exchange failed): {@code switching} is released, and the exchange must let go of its
     *     client with {@link #abort()}
     */
    default Channel upgrade(FullHttpResponse switching, ChannelHandler... handlers) {
        switching.release();
        return null;
    }

    /** Cut the connection: the response cannot be completed. */
    void abort();

    /**
     * Something threw on this exchange's path: end it now, with a 500 if no byte of its response reached the
     * client yet, else a cut connection, and drop whatever is written for it afterwards. The exchange releases
     * what it holds (it is told as if its client left). Idempotent.
     */
    void fail(Throwable cause);

    /** {@code step} as a task that fails this exchange, rather than vanish in the event loop, if it throws. */
    default Runnable guard(Runnable step) {
        return () -> {
            try {
                step.run();
            } catch (Throwable cause) {
                fail(cause);
            }
        };
    }
}
