package dev.platemate.gateway.resilience;

import dev.platemate.gateway.config.UpstreamConfig.CircuitBreakerConfig;
import dev.platemate.gateway.limiter.Ticker;

/**
 * A circuit breaker per upstream, as a small state machine rather than resilience4j's: the contract here is
 * "{@code failure_threshold} consecutive failures", one trial when half open, and a state that event loops read
 * and change without blocking, which a few lines under one lock give exactly.
 * <ul>
 *   <li>closed: requests pass; consecutive failures (connect errors, 5xx, timeouts) counted, a success resets;</li>
 *   <li>open: requests fail fast until {@code open_for} has passed;</li>
 *   <li>half open: one trial request passes; its success closes, its failure opens again.</li>
 * </ul>
 * A verdict counts only for the period its request was let through in: {@link #tryPass} hands out a token, and
 * a verdict or abandonment carrying the token of an earlier period (a 120 s answer to a request admitted before the
 * breaker opened) changes nothing. Thread-safe.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** What {@link #tryPass} returns when the request may not pass. */
    public static final long REFUSED = -1;

    private final int failureThreshold;
    private final long openForNanos;
    private final Ticker ticker;
    private State state = State.CLOSED;
    /** Counts the periods: each change of state starts a new one. */
    private long period;
    private int failures;
    private long openUntil;
    private boolean trialInFlight;
    private long opened;

    public CircuitBreaker(CircuitBreakerConfig config, Ticker ticker) {
        this.failureThreshold = config.failureThreshold();
        this.openForNanos = config.openFor().toNanos();
        this.ticker = ticker;
    }

    /**
     * Whether a request may go upstream now (once for the half-open trial). @return the token its verdict must
     * carry, or {@link #REFUSED}
     */
    public synchronized long tryPass() {
        if (state == State.OPEN && ticker.read() >= openUntil) {
            enter(State.HALF_OPEN);
            trialInFlight = false;
        }
        return switch (state) {
            case CLOSED -> period;
            case OPEN -> REFUSED;
            case HALF_OPEN -> {
                if (trialInFlight) {
                    yield REFUSED;
                }
                trialInFlight = true;
                yield period;
            }
        };
    }

    /** A healthy answer to the request let through with {@code token}: closed, it resets the count; half open, it closes. */
    public synchronized void onSuccess(long token) {
        if (token != period || state == State.OPEN) {
            return;
        }
        if (state == State.HALF_OPEN) {
            enter(State.CLOSED);
        }
        failures = 0;
    }

    /** A failure of the request let through with {@code token}: it may open the breaker, or open it again. */
    public synchronized void onFailure(long token) {
        if (token != period || state == State.OPEN) {
            return;
        }
        failures++;
        if (state == State.HALF_OPEN || failures >= failureThreshold) {
            enter(State.OPEN);
            openUntil = ticker.read() + openForNanos;
            opened++;
        }
    }

    /** The request let through with {@code token} ended with no verdict on the upstream: free the trial. */
    public synchronized void onAbandoned(long token) {
        if (token == period && state == State.HALF_OPEN) {
            trialInFlight = false;
        }
    }

    private void enter(State next) {
        state = next;
        period++;
        failures = 0;
        trialInFlight = false;
    }

    public synchronized State state() {
        if (state == State.OPEN && ticker.read() >= openUntil) {
            return State.HALF_OPEN;
        }
        return state;
    }

    /** Seconds until an open breaker lets a trial through, at least 1. */
    public synchronized long retryAfterSeconds() {
        return Math.max(1, (openUntil - ticker.read() + 999_999_999L) / 1_000_000_000L);
    }

    /** How many times it has opened. */
    public synchronized long timesOpened() {
        return opened;
    }
}
