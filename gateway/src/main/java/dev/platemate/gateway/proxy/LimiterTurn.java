package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.limiter.SlotListener;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.limiter.Ticket;
import dev.platemate.gateway.probe.Probe;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One exchange's turn in its route's limiter, a stage before its attempts: its place in the queue, then its slot
 * (and the attempt admitted), and the slot given back with the same request first in line when the provider
 * answers 429 or a token is not there yet. On a route without a limiter the attempt is admitted at once and the
 * rest does nothing. Holds nothing once {@link #end()} ran. Event-loop only.
 */
final class LimiterTurn implements SlotListener {

    /** The exchange whose turn it is. */
    interface Waiter extends Attempts.Listener {
        /** The wait ended without a slot: answer the rejection (or what the upstream said before). */
        void queueRefused(Rejection rejection, long retryAfterSeconds);
    }

    private final Limiter limiter;
    private final Ticker ticker;
    private final EventLoop loop;
    private final Attempts attempts;
    private final Waiter exchange;
    private final Probe probe;
    private Ticket ticket;
    private Permit permit;
    private long deadline;
    private long queueMillis = -1;
    private boolean countAnswered;

    LimiterTurn(Limiter limiter, Ticker ticker, EventLoop loop, Attempts attempts, Waiter exchange, Probe probe) {
        this.limiter = limiter;
        this.ticker = ticker;
        this.loop = loop;
        this.attempts = attempts;
        this.exchange = exchange;
        this.probe = probe;
    }

    /** The turn in {@code target}'s limiter, or an immediate one if it has none. */
    static LimiterTurn of(ProxyTarget target, EventLoop loop, Attempts attempts, Waiter exchange) {
        return new LimiterTurn(target.limiter(), target.ticker(), loop, attempts, exchange, target.probe());
    }

    boolean limited() {
        return limiter != null;
    }

    /** The request's head is here: without a limiter, the attempt is admitted now. */
    void start() {
        if (limiter == null) {
            attempts.admit(exchange);
        }
    }

    /**
     * The request's body is complete, and it went nowhere yet: it joins the queue; a slot admits the attempt, a
     * rejection is the exchange's to answer. The queue timeout starts now.
     */
    void bodyComplete() {
        if (limiter == null) {
            return;
        }
        deadline = ticker.read() + limiter.config().queueTimeout().toNanos();
        ticket = limiter.acquire(loop, this, deadline);
    }

    @Override
    public void onSlot(Permit granted, long waitedNanos) {
        ticket = null;
        if (exchange.done()) {
            granted.release();
            return;
        }
        permit = granted;
        queueMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
        try {
            probe.at(Probe.Stage.LIMITER_GRANT);
            attempts.admit(exchange);
        } catch (Throwable cause) {
            exchange.failed(cause);
        }
    }

    @Override
    public void onRejected(Rejection rejection, long retryAfterSeconds) {
        ticket = null;
        if (exchange.done()) {
            return;
        }
        try {
            exchange.queueRefused(rejection, retryAfterSeconds);
        } catch (Throwable cause) {
            exchange.failed(cause);
        }
    }

    /** Milliseconds spent queued, or -1 for a route without a limiter. */
    long queueMillis() {
        return queueMillis;
    }

    /** The upstream answered {@code status} to the request holding the slot (an adaptive count follows it). */
    void answered(int status) {
        countAnswered = permit != null && permit.answered(status);
    }

    /** Whether a provider's 429 is to be absorbed: pause_on_429, a slot held, and queue time left. */
    boolean absorbs(HttpResponse response) {
        return permit != null && limiter.config().pauseOn429()
                && response.status().code() == HttpResponseStatus.TOO_MANY_REQUESTS.code()
                && ticker.read() < deadline;
    }

    /**
     * Gives the slot back after a provider 429: the limiter holds dispatch for the provider's Retry-After (at most
     * what is left of the queue time), then this request goes first. An adaptive count that answered the 429 by
     * shrinking holds nothing: the request goes first when a slot of the smaller count frees.
     */
    void retryFirstAfter429(Duration retryAfter) {
        requeueFirst(countAnswered ? Duration.ZERO : retryAfter);
    }

    private void requeueFirst(Duration retryAfter) {
        long now = ticker.read();
        long pause = Math.min(retryAfter.toNanos(), Math.max(0, deadline - now));
        Permit held = permit;
        permit = null;
        ticket = held.releaseAndRetryFirst(now + pause, this);
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
        requeueFirst(wait);
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
