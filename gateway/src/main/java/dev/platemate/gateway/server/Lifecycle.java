package dev.platemate.gateway.server;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether the gateway is ready or draining, and how many requests are being served. Read by /health/ready and by
 * shutdown; written from every event loop, hence atomic.
 */
public final class Lifecycle {

    /**
     * Sent through every client connection's pipeline when the gateway starts draining: an idle HTTP connection
     * closes, a WebSocket session says going away.
     */
    public static final Object DRAIN = new Object();

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean ready;
    private volatile boolean draining;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    public void markReady() {
        ready = true;
    }

    public void startDraining() {
        draining = true;
        if (inFlight.get() == 0) {
            drained.complete(null);
        }
    }

    /**
     * Waits, off any event loop, until no request is in flight after draining started, or {@code timeout} passed.
     *
     * @return whether everything finished in time
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        try {
            drained.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean ready() {
        return ready && !draining;
    }

    public boolean draining() {
        return draining;
    }

    public int inFlight() {
        return inFlight.get();
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    /**
     * A connection whose request was in flight switched to another protocol: it stays in flight until it closes, and,
     * when the gateway is already draining (it missed the drain as a request), its new handlers hear
     * {@link #DRAIN} once the switch is done.
     */
    void switched(Channel channel) {
        channel.closeFuture().addListener(closed -> requestEnded());
        if (draining) {
            channel.eventLoop().execute(() -> channel.pipeline().fireUserEventTriggered(DRAIN));
        }
    }

    void requestEnded() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            drained.complete(null);
        }
    }
}
