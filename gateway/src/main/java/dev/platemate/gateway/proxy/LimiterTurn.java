package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.limiter.SlotListener;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.limiter.Ticket;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One exchange's turn in its route's limiter: its place in the queue, then its slot, and the slot given back with
 * the same request first in line when the provider answers 429. Holds nothing once {@link #end()} ran.
 * Event-loop only.
 */
final class LimiterTurn {

    private final Limiter limiter;
    private final Ticker ticker;
    private final EventLoop loop;
    private final SlotListener exchange;
    private Ticket ticket;
    private Permit permit;
    private long deadline;
    private long queueMillis = -1;

    LimiterTurn(Limiter limiter, Ticker ticker, EventLoop loop, SlotListener exchange) {
        this.limiter = limiter;
        this.ticker = ticker;
        this.loop = loop;
        this.exchange = exchange;
    }

    /** Joins the queue; the exchange hears onSlot or onRejected. The queue timeout starts now. */
    void enqueue() {
        deadline = ticker.read() + limiter.config().queueTimeout().toNanos();
        ticket = limiter.acquire(loop, exchange, deadline);
    }

    /** The exchange was given {@code granted} after waiting {@code waitedNanos} in all. */
    void granted(Permit granted, long waitedNanos) {
        ticket = null;
        permit = granted;
        queueMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
    }

    /** The wait ended without a slot. */
    void refused() {
        ticket = null;
    }

    /** Milliseconds spent queued, or -1 for a route without a limiter. */
    long queueMillis() {
        return queueMillis;
    }

    /** Whether a provider's 429 is to be absorbed: pause_on_429, a slot held, and queue time left. */
    boolean absorbs(HttpResponse response) {
        return permit != null && limiter.config().pauseOn429()
                && response.status().code() == HttpResponseStatus.TOO_MANY_REQUESTS.code()
                && ticker.read() < deadline;
    }

    /**
     * Gives the slot back after a provider 429: the limiter holds dispatch for the provider's Retry-After (at most
     * what is left of the queue time), then this request goes first.
     */
    void retryFirstAfter(Duration retryAfter) {
        long now = ticker.read();
        long pause = Math.min(retryAfter.toNanos(), Math.max(0, deadline - now));
        Permit held = permit;
        permit = null;
        ticket = held.releaseAndRetryFirst(now + pause, exchange);
    }

    /**
     * No token for the upstream yet: a request waiting for one is still a queued request, so the slot goes back and
     * the request waits first in line (the limiter pauses until the token is due). @return false when the wait
     * would outlast the queue time, or no slot is held
     */
    boolean waitForToken(Duration wait) {
        if (permit == null || ticker.read() + wait.toNanos() >= deadline) {
            return false;
        }
        retryFirstAfter(wait);
        return true;
    }

    /** Leaves the queue and gives back the slot, whichever is held. */
    void end() {
        if (ticket != null) {
            ticket.cancel();
            ticket = null;
        }
        if (permit != null) {
            permit.release();
            permit = null;
        }
    }
}
