package dev.platemate.gateway.ratelimit;

import dev.platemate.gateway.limiter.Ticker;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Bucket4j token bucket: {@code requests} per {@code per}, refilled greedily. A request beyond the rate may wait
 * for a token on a scheduler (an event loop), never blocking it. Thread-safe. With {@link CallerBuckets}, the only
 * classes that import Bucket4j.
 */
public final class TokenBucket {

    private final LongAdder refusals = new LongAdder();
    private final Bucket bucket;
    private final long limit;
    private final long perNanos;

    public TokenBucket(long requests, Duration per, Ticker ticker) {
        this.limit = requests;
        this.perNanos = per.toNanos();
        this.bucket = Bucket.builder()
                .addLimit(l -> l.capacity(requests).refillGreedy(requests, per))
                .withCustomTimePrecision(new TimeMeter() {
                    @Override
                    public long currentTimeNanos() {
                        return ticker.read();
                    }

                    @Override
                    public boolean isWallClockBased() {
                        return false;
                    }
                })
                .build();
    }

    /** A request was answered 429 for want of a token; counted for the metrics. */
    public void refused() {
        refusals.increment();
    }

    /** How many requests were answered 429 for want of a token. */
    public long refusals() {
        return refusals.sum();
    }

    /** Takes a token now if there is one. */
    public RateLimitDecision tryTake() {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return new RateLimitDecision(true, limit, probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()),
                    0, 0);
        }
        return refused(probe);
    }

    /**
     * Takes a token now, or reserves the next one if it comes within {@code maxWait}; the future completes on
     * {@code scheduler} when the token is there.
     */
    public CompletableFuture<RateLimitDecision> take(Duration maxWait, ScheduledExecutorService scheduler) {
        RateLimitDecision now = tryTake();
        if (now.allowed() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(now);
        }
        return bucket.asScheduler().tryConsume(1, maxWait, scheduler).thenApply(got -> {
            if (got) {
                return new RateLimitDecision(true, limit, 0, seconds(perNanos), 0, 0);
            }
            EstimationProbe estimate = bucket.estimateAbilityToConsume(1);
            return new RateLimitDecision(false, limit, estimate.getRemainingTokens(), seconds(perNanos),
                    Math.max(1, seconds(estimate.getNanosToWaitForRefill())), estimate.getNanosToWaitForRefill());
        });
    }

    private RateLimitDecision refused(ConsumptionProbe probe) {
        return new RateLimitDecision(false, limit, probe.getRemainingTokens(),
                seconds(probe.getNanosToWaitForReset()), Math.max(1, seconds(probe.getNanosToWaitForRefill())),
                probe.getNanosToWaitForRefill());
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
