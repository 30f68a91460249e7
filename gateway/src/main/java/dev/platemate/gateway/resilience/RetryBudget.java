package dev.platemate.gateway.resilience;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps retries to an upstream at {@link #RATIO} of its requests in flight (at least one), so an outage does not
 * become a retry storm. Thread-safe.
 */
public final class RetryBudget {

    static final double RATIO = 0.2;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger retrying = new AtomicInteger();

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestEnded() {
        inFlight.decrementAndGet();
    }

    /** Takes a place for one retry if the budget allows; give it back with {@link #retryEnded()}. */
    public boolean tryStartRetry() {
        while (true) {
            int now = retrying.get();
            int allowed = Math.max(1, (int) (inFlight.get() * RATIO));
            if (now >= allowed) {
                return false;
            }
            if (retrying.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void retryEnded() {
        retrying.decrementAndGet();
    }

    public int retrying() {
        return retrying.get();
    }
}
