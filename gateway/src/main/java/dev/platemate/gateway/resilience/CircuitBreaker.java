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
 * Thread-safe.
 */
public final class CircuitBreaker {

    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int failureThreshold;
    private final long openForNanos;
    private final Ticker ticker;
    private State state = State.CLOSED;
    private int failures;
    private long openUntil;
    private boolean trialInFlight;
    private long opened;

    public CircuitBreaker(CircuitBreakerConfig config, Ticker ticker) {
        this.failureThreshold = config.failureThreshold();
        this.openForNanos = config.openFor().toNanos();
        this.ticker = ticker;
    }

    /** Whether a request may go upstream now; true once for the half-open trial. */
    public synchronized boolean tryPass() {
        if (state == State.OPEN && ticker.read() >= openUntil) {
            state = State.HALF_OPEN;
            trialInFlight = false;
        }
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> false;
            case HALF_OPEN -> !trialInFlight && (trialInFlight = true);
        };
    }

    /**
     * A healthy answer. Closed, it resets the count of consecutive failures; half open, it closes. Open, it is
     * ignored: it comes from a request let through before the breaker opened, and the open period stands.
     */
    public synchronized void onSuccess() {
        if (state == State.OPEN) {
            return;
        }
        state = State.CLOSED;
        failures = 0;
        trialInFlight = false;
    }

    /** A failure; while open, one from a request let through earlier changes nothing. */
    public synchronized void onFailure() {
        if (state == State.OPEN) {
            return;
        }
        failures++;
        if (state == State.HALF_OPEN || state == State.CLOSED && failures >= failureThreshold) {
            state = State.OPEN;
            openUntil = ticker.read() + openForNanos;
            trialInFlight = false;
            opened++;
        }
    }

    /** A request that passed ended with no verdict on the upstream (the client left): free the trial. */
    public synchronized void onAbandoned() {
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
