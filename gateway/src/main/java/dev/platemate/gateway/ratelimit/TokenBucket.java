package dev.platemate.gateway.ratelimit;

import dev.platemate.gateway.limiter.Ticker;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Bucket4j token bucket: {@code requests} per {@code per}, refilled greedily. A request beyond the rate may wait
 * for a token on a scheduler (an event loop), never blocking it. With {@link SharedBuckets}, the bucket lives in
 * Redis for all replicas, and this replica keeps a bucket of its fallback share for when Redis does not answer.
 * Thread-safe. With {@link CallerBuckets} and {@link SharedBuckets}, the only classes that import Bucket4j.
 */
public final class TokenBucket {

    private final LongAdder refusals = new LongAdder();
    private final Bucket local;
    private final long localLimit;
    private final long limit;
    private final long perNanos;
    private final SharedBuckets shared;
    private final String name;
    private final BucketConfiguration configuration;

    /** A bucket of this replica's own. */
    public TokenBucket(long requests, Duration per, Ticker ticker) {
        this(requests, per, ticker, null, null);
    }

    /**
     * @param shared where the buckets all replicas share live, or null for one of this replica's own
     * @param name   the bucket's name there
     */
    public TokenBucket(long requests, Duration per, Ticker ticker, SharedBuckets shared, String name) {
        this.limit = requests;
        this.perNanos = per.toNanos();
        this.shared = shared;
        this.name = name == null ? null : name + ":" + requests + "/" + per.toMillis();
        this.configuration = limitOf(requests, per);
        this.localLimit = shared == null ? requests : shared.fallbackShareOf(requests);
        this.local = Bucket.builder()
                .addLimit(l -> l.capacity(localLimit).refillGreedy(localLimit, per))
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

    private static BucketConfiguration limitOf(long requests, Duration per) {
        return BucketConfiguration.builder().addLimit(l -> l.capacity(requests).refillGreedy(requests, per)).build();
    }

    /** A request was answered 429 for want of a token; counted for the metrics. */
    public void refused() {
        refusals.increment();
    }

    /** How many requests were answered 429 for want of a token. */
    public long refusals() {
        return refusals.sum();
    }

    /** Takes a token now, from this replica's bucket, if there is one. */
    public RateLimitDecision tryTake() {
        ConsumptionProbe probe = local.tryConsumeAndReturnRemaining(1);
        return decision(probe, localLimit);
    }

    /**
     * Takes a token now if there is one: from the shared bucket, or, alone or while Redis does not answer, from
     * this replica's. Completes at once when alone; never fails.
     */
    public CompletableFuture<RateLimitDecision> tryTakeEverywhere() {
        AsyncBucketProxy remote = remote();
        if (remote == null) {
            return CompletableFuture.completedFuture(tryTake());
        }
        CompletableFuture<ConsumptionProbe> probe;
        try {
            probe = remote.tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            probe = CompletableFuture.failedFuture(e);
        }
        return shared.counted(probe).handle((consumed, error) -> {
            if (error != null) {
                shared.fellBack();
                return tryTake();
            }
            return decision(consumed, limit);
        });
    }

    /**
     * Takes a token now, or reserves the next one if it comes within {@code maxWait}; the future completes on
     * {@code scheduler} when the token is there (or on Redis's thread when the shared bucket answers at once).
     * Never fails.
     */
    public CompletableFuture<RateLimitDecision> take(Duration maxWait, ScheduledExecutorService scheduler) {
        if (shared != null && maxWait.isZero()) {
            return tryTakeEverywhere();
        }
        AsyncBucketProxy remote = remote();
        if (remote == null) {
            return takeLocally(maxWait, scheduler);
        }
        return shared.counted(reserve(remote, maxWait, scheduler))
                .handle((decision, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(decision);
                    }
                    shared.fellBack();
                    return takeLocally(maxWait, scheduler);
                }).thenCompose(decision -> decision);
    }

    /** Reserves a token in Redis within {@code maxWait}, or says when the next one comes; fails, never throws. */
    private CompletableFuture<RateLimitDecision> reserve(AsyncBucketProxy remote, Duration maxWait,
                                                         ScheduledExecutorService scheduler) {
        try {
            return remote.asScheduler().tryConsume(1, maxWait, scheduler)
                    .thenCompose(got -> got ? CompletableFuture.completedFuture(granted(limit))
                            : remote.estimateAbilityToConsume(1).thenApply(e -> refused(e, limit)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<RateLimitDecision> takeLocally(Duration maxWait, ScheduledExecutorService scheduler) {
        RateLimitDecision now = tryTake();
        if (now.allowed() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(now);
        }
        return local.asScheduler().tryConsume(1, maxWait, scheduler).thenApply(got -> got ? granted(localLimit)
                : refused(local.estimateAbilityToConsume(1), localLimit));
    }

    private AsyncBucketProxy remote() {
        if (shared == null) {
            return null;
        }
        AsyncBucketProxy remote = shared.bucket(name, configuration);
        if (remote == null) {
            shared.fellBack();
        }
        return remote;
    }

    private RateLimitDecision granted(long of) {
        return new RateLimitDecision(true, of, 0, seconds(perNanos), 0, 0);
    }

    private RateLimitDecision refused(EstimationProbe estimate, long of) {
        return new RateLimitDecision(false, of, estimate.getRemainingTokens(), seconds(perNanos),
                Math.max(1, seconds(estimate.getNanosToWaitForRefill())), estimate.getNanosToWaitForRefill());
    }

    private static RateLimitDecision decision(ConsumptionProbe probe, long of) {
        if (probe.isConsumed()) {
            return new RateLimitDecision(true, of, probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()),
                    0, 0);
        }
        return new RateLimitDecision(false, of, probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()),
                Math.max(1, seconds(probe.getNanosToWaitForRefill())), probe.getNanosToWaitForRefill());
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
