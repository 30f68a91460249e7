package dev.platemate.gateway.proxy;

import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.pool.UpstreamPool;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;

/**
 * The upstream side of one proxied exchange: the pooled connection it leases (or is waiting for), the request
 * and body written on it, reading paused and resumed with the client's pace, and the response timer. It holds at
 * most one connection, and {@link #end} gives back whatever it holds. Event-loop only.
 */
final class UpstreamLeg {

    private final UpstreamPool pool;
    private final EventLoop loop;
    private final RequestBody body;
    private final OneShotTimer responseTimer;
    private Future<UpstreamConnection> acquiring;
    private UpstreamConnection connection;
    private boolean retriedFresh;

    /** @param onResponseTimeout runs when no response head came within the upstream's response_timeout */
    UpstreamLeg(UpstreamPool pool, EventLoop loop, RequestBody body, Runnable onResponseTimeout) {
        this.pool = pool;
        this.loop = loop;
        this.body = body;
        this.responseTimer = new OneShotTimer(loop, pool.config().responseTimeout().toNanos(), onResponseTimeout);
    }

    /** Asks the pool for a connection ({@code fresh}: a new one, not a pooled one); {@code then} hears. */
    void acquire(boolean fresh, FutureListener<UpstreamConnection> then) {
        acquiring = pool.acquire(loop, fresh);
        acquiring.addListener(then);
    }

    /**
     * The connection closed before any response (a pooled one gone stale, most likely): the request goes once more,
     * on a new connection; {@code then} hears. Only once ({@link #mayRetryOnFresh}).
     */
    void retryOnFresh(FutureListener<UpstreamConnection> then) {
        retriedFresh = true;
        release(false);
        body.rewind();
        acquire(true, then);
    }

    /** Whether the request has not gone once more on a fresh connection yet. */
    boolean mayRetryOnFresh() {
        return !retriedFresh;
    }

    /** The acquisition {@link #acquire} started has finished, either way. */
    void acquired() {
        acquiring = null;
    }

    /** Holds {@code leased} from now on (so {@link #end} gives it back on any path); it reports to {@code listener}. */
    void take(UpstreamConnection leased, UpstreamListener listener, boolean plain, boolean headRequest) {
        connection = leased;
        leased.attach(listener, plain, headRequest);
    }

    /** Writes the request head and what is held of the body. @return whether it can take more at once */
    boolean send(HttpRequest request) {
        Channel channel = connection.channel();
        channel.write(request, channel.voidPromise());
        body.sendPending(channel);
        channel.flush();
        return channel.isWritable();
    }

    /** Whether it holds a connection the request went out on. */
    boolean connected() {
        return connection != null;
    }

    /** Writes one part of the body. @return whether it can take more at once */
    boolean sendPart(HttpContent content) {
        Channel channel = connection.channel();
        body.send(channel, content);
        channel.flush();
        return channel.isWritable();
    }

    /** Whether the connection can take more of the body now. */
    boolean writable() {
        return connection != null && connection.channel().isWritable();
    }

    /** Stops or resumes reading the response, as the client can take it. */
    void reading(boolean read) {
        if (connection != null) {
            connection.channel().config().setAutoRead(read);
        }
    }

    void armResponseTimer() {
        responseTimer.arm();
    }

    /** A response head came (or the exchange is over): the response timer stops. */
    void responseBegan() {
        responseTimer.cancel();
    }

    /** Gives the connection back: to the pool when {@code reusable}, else closed. */
    void release(boolean reusable) {
        responseTimer.cancel();
        if (connection != null) {
            UpstreamConnection leased = connection;
            connection = null;
            leased.channel().config().setAutoRead(true);
            leased.release(reusable);
        }
    }

    /** Gives back everything: the connection (closed) and a lease still being waited for. */
    void end() {
        release(false);
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
    }
}
