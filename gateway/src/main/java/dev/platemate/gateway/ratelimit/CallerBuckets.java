package dev.platemate.gateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.platemate.gateway.limiter.Ticker;
import java.time.Duration;

/**
 * One token bucket per caller for one {@code rate_limits} entry. Buckets of callers gone quiet for a whole window
 * are dropped (they would be full again anyway), and at most {@link #MAX_CALLERS} are kept, so memory stays
 * bounded whoever calls. Thread-safe.
 */
final class CallerBuckets {

    static final int MAX_CALLERS = 100_000;

    private final long requests;
    private final Duration per;
    private final Ticker ticker;
    private final Cache<String, TokenBucket> buckets;

    CallerBuckets(long requests, Duration per, Ticker ticker) {
        this.requests = requests;
        this.per = per;
        this.ticker = ticker;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(per).maximumSize(MAX_CALLERS)
                .ticker(ticker::read).executor(Runnable::run).build();
    }

    RateLimitDecision tryTake(String caller) {
        return buckets.get(caller, c -> new TokenBucket(requests, per, ticker)).tryTake();
    }
}
