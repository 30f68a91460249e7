package dev.platemate.gateway.proxy;

import dev.platemate.gateway.pool.PoolExhaustedException;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.resilience.Backoff;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Whether, and when, one exchange's attempts go to its upstream. Before each attempt, the circuit breaker and the
 * upstream's token bucket decide (a token may be waited for, on the loop, up to max_wait). After it, the breaker
 * hears how the upstream did. A failed attempt may go again, within {@code retries} and the upstream's retry
 * budget, after a jittered backoff: a request never sent (connect failed), or an idempotent one answered 502, 503
 * or 504 before any byte reached the client. A POST that was sent is never retried here. Event-loop only.
 */
final class Attempts {

    /** The longest upstream Retry-After a retry waits out; a longer one goes to the client as it is. */
    static final Duration MAX_HONOURED_WAIT = Duration.ofSeconds(5);
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.PUT, HttpMethod.DELETE);

    private final UpstreamProtection protection;
    private final String upstream;
    private final EventLoop loop;
    private final boolean idempotent;
    private boolean verdictOwed;
    /** The breaker's token for the attempt whose verdict is owed. */
    private long breakerToken;
    private boolean holdsBudget;
    private boolean counted = true;
    private int retries;

    Attempts(UpstreamProtection protection, String upstream, EventLoop loop, HttpMethod method) {
        this.protection = protection;
        this.upstream = upstream;
        this.loop = loop;
        this.idempotent = IDEMPOTENT.contains(method);
        protection.budget().requestStarted();
    }

    /** The exchange whose attempts these are. */
    interface Listener {
        /** Whether the exchange is over (a later attempt then has nobody to serve). */
        boolean done();

        /** The attempt may go upstream now. */
        void admitted();

        /** The attempt may not go; {@code answer} is for the client. */
        void refused(FullHttpResponse answer);

        /**
         * No token is there for {@code wait}: take the wait in the limiter's queue if possible (a limited route).
         * @return false to wait here instead, up to max_wait
         */
        boolean waitForTokenInQueue(Duration wait);

        /** A step taken later (after a backoff, or a bucket's answer) threw: the exchange must end. */
        void failed(Throwable cause);
    }

    /**
     * Lets the attempt through if the breaker and the bucket allow; else refuses it. When there is no token now and
     * the exchange takes the wait in its queue, nothing else happens here.
     */
    void admit(Listener exchange) {
        long token = protection.breaker().tryPass();
        if (token == CircuitBreaker.REFUSED) {
            exchange.refused(Responses.error(GatewayError.CIRCUIT_OPEN, upstream + " is failing: its circuit is open",
                    protection.breaker().retryAfterSeconds()));
            return;
        }
        breakerToken = token;
        verdictOwed = true;
        if (protection.bucket() == null) {
            exchange.admitted();
            return;
        }
        onLoop(protection.bucket().tryTakeEverywhere(), exchange, now -> {
            if (!now.allowed() && exchange.waitForTokenInQueue(Duration.ofNanos(now.waitNanos()))) {
                verdictOwed = false;
                protection.breaker().onAbandoned(breakerToken); // no attempt now; it comes back through the queue
                return;
            }
            onLoop(now.allowed() ? CompletableFuture.completedFuture(now)
                    : protection.bucket().take(protection.maxWait(), loop), exchange, decision -> {
                if (decision.allowed()) {
                    exchange.admitted();
                    return;
                }
                protection.bucket().refused();
                FullHttpResponse refused = Responses.error(GatewayError.RATE_LIMITED,
                        "the rate limit of upstream " + upstream + " is reached", decision.retryAfterSeconds());
                decision.addHeaders(refused.headers());
                exchange.refused(refused);
            });
        });
    }

    /**
     * Goes on with the bucket's answer on the loop: at once when it is there, else when it comes, unless the
     * exchange ended meanwhile. The buckets fall back to this replica's own rather than fail; should one fail all
     * the same, the request is answered 503, so none is left hanging.
     */
    private void onLoop(CompletableFuture<RateLimitDecision> answer, Listener exchange,
                        Consumer<RateLimitDecision> then) {
        if (answer.isDone() && !answer.isCompletedExceptionally() && loop.inEventLoop()) {
            then.accept(answer.join());
            return;
        }
        answer.whenComplete((decision, error) -> loop.execute(() -> guarded(exchange, () -> {
            if (exchange.done()) {
                return;
            }
            if (decision != null) {
                then.accept(decision);
            } else {
                exchange.refused(Responses.error(GatewayError.UPSTREAM_UNAVAILABLE,
                        "the rate limit of upstream " + upstream + " could not be checked"));
            }
        })));
    }

    /** Tells the circuit breaker how the upstream did, once per attempt. */
    void verdict(boolean healthy) {
        if (verdictOwed) {
            verdictOwed = false;
            if (healthy) {
                protection.breaker().onSuccess(breakerToken);
            } else {
                protection.breaker().onFailure(breakerToken);
            }
        }
    }

    /** Whether copies of a sent body must be kept, in case the request goes again. */
    boolean mayResendAfterSending() {
        return idempotent && protection.retries() > 0;
    }

    /** A request that never reached the upstream (connect failed): any method may go again. */
    boolean tryRetryUnsent() {
        return tryTake();
    }

    /**
     * No connection could be had: an upstream fault (not an exhausted pool) counts against the breaker, and the
     * request, which never reached the upstream, goes again whatever its method if a retry is left.
     * @return whether it was scheduled to go again
     */
    boolean retryAfterConnectFailure(Throwable cause, Listener exchange) {
        if (cause instanceof PoolExhaustedException) {
            return false;
        }
        verdict(false);
        if (!tryRetryUnsent()) {
            return false;
        }
        retryLater(Duration.ZERO, exchange);
        return true;
    }

    /** An answer of 502, 503 or 504 to an idempotent request that can be sent again, after at most a short wait. */
    boolean tryRetryResponse(int status, boolean canResend, Duration retryAfter) {
        return idempotent && canResend && (status == 502 || status == 503 || status == 504)
                && retryAfter.compareTo(MAX_HONOURED_WAIT) <= 0 && tryTake();
    }

    private boolean tryTake() {
        if (retries >= protection.retries()) {
            return false;
        }
        releaseBudget();
        if (!protection.budget().tryStartRetry()) {
            return false;
        }
        holdsBudget = true;
        retries++;
        return true;
    }

    /** Admits the retry just granted after its backoff (at least the upstream's Retry-After), unless it is over. */
    void retryLater(Duration retryAfter, Listener exchange) {
        loop.schedule(() -> guarded(exchange, () -> {
            if (!exchange.done()) {
                admit(exchange);
            }
        }), Backoff.nanos(retries, retryAfter), TimeUnit.NANOSECONDS);
    }

    /** Runs a later step so that, should it throw, the exchange ends rather than the event loop swallowing it. */
    private static void guarded(Listener exchange, Runnable step) {
        try {
            step.run();
        } catch (Throwable cause) {
            exchange.failed(cause);
        }
    }

    /** The exchange ended: an attempt with no verdict frees the breaker's trial; the budget gets its place back. */
    void end() {
        if (verdictOwed) {
            verdictOwed = false;
            protection.breaker().onAbandoned(breakerToken);
        }
        releaseBudget();
        if (counted) {
            counted = false;
            protection.budget().requestEnded();
        }
    }

    private void releaseBudget() {
        if (holdsBudget) {
            holdsBudget = false;
            protection.budget().retryEnded();
        }
    }
}
