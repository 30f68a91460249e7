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
        return tryTake(1);
    }

    /** Takes {@code tokens} now (at most the bucket's capacity), from this replica's bucket, if it has them. */
    public RateLimitDecision tryTake(long tokens) {
        ConsumptionProbe probe = local.tryConsumeAndReturnRemaining(Math.min(tokens, localLimit));
        return decision(probe, localLimit);
    }

    /**
     * Holds the bucket to at most {@code remaining} tokens (the provider said that is all it has left): takes what
     * it holds beyond that, here and, best effort, in the shared bucket.
     */
    public void atMost(long remaining) {
        long over = local.getAvailableTokens() - Math.max(0, remaining);
        if (over > 0) {
            local.consumeIgnoringRateLimits(over);
        }
        AsyncBucketProxy remote = remote();
        if (remote != null) {
            try {
                shared.counted(remote.getAvailableTokens().thenCompose(available -> available > remaining
                        ? remote.consumeIgnoringRateLimits(available - Math.max(0, remaining))
                        : CompletableFuture.completedFuture(0L)));
            } catch (RuntimeException e) {
                shared.fellBack();
            }
        }
    }

    /** The most one take can ask for: the bucket's capacity (this replica's share while it is on its own). */
    public long capacity() {
        return limit;
    }

    /**
     * Settles a take with what was really used: {@code delta} tokens more are taken, even past empty (the bucket
     * then owes them), or, when negative, given back. Both in the shared bucket (best effort) and this replica's.
     * At most a bucketful either way: a usage an upstream reports is a number from the wire, and a bucket's worth
     * is all it can owe at once.
     */
    public void adjust(long change) {
        long delta = Math.max(-limit, Math.min(limit, change));
        if (delta == 0) {
            return;
        }
        if (delta > 0) {
            local.consumeIgnoringRateLimits(delta);
        } else {
            local.addTokens(-delta);
        }
        AsyncBucketProxy remote = remote();
        if (remote != null) {
            try {
                shared.counted(delta > 0 ? remote.consumeIgnoringRateLimits(delta).thenApply(x -> null)
                        : remote.addTokens(-delta));
            } catch (RuntimeException e) {
                shared.fellBack();
            }
        }
    }

    /**
     * Takes a token now if there is one: from the shared bucket, or, alone or while Redis does not answer, from
     * this replica's. Completes at once when alone; never fails.
     */
    public CompletableFuture<RateLimitDecision> tryTakeEverywhere() {
        return tryTakeEverywhere(1);
    }

    /** As {@link #tryTakeEverywhere()}, for {@code tokens} at once (at most the capacity). */
    public CompletableFuture<RateLimitDecision> tryTakeEverywhere(long tokens) {
        AsyncBucketProxy remote = remote();
        if (remote == null) {
            return CompletableFuture.completedFuture(tryTake(tokens));
        }
        CompletableFuture<ConsumptionProbe> probe;
        try {
            probe = remote.tryConsumeAndReturnRemaining(Math.min(tokens, limit));
        } catch (RuntimeException e) {
            probe = CompletableFuture.failedFuture(e);
        }
        return shared.counted(probe).handle((consumed, error) -> {
            if (error != null) {
                shared.fellBack();
                return tryTake(tokens);
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
        return take(1, maxWait, scheduler);
    }

    /**
     * As {@link #take(Duration, ScheduledExecutorService)}, for {@code tokens} at once (at most the capacity):
     * reservations are served in the order they were made, so waiting takes go first come, first served.
     */
    public CompletableFuture<RateLimitDecision> take(long tokens, Duration maxWait,
                                                     ScheduledExecutorService scheduler) {
        if (shared != null && maxWait.isZero()) {
            return tryTakeEverywhere(tokens);
        }
        AsyncBucketProxy remote = remote();
        if (remote == null) {
            return takeLocally(tokens, maxWait, scheduler);
        }
        return shared.counted(reserve(remote, Math.min(tokens, limit), maxWait, scheduler))
                .handle((decision, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(decision);
                    }
                    shared.fellBack();
                    return takeLocally(tokens, maxWait, scheduler);
                }).thenCompose(decision -> decision);
    }

    /** Reserves tokens in Redis within {@code maxWait}, or says when they come; fails, never throws. */
    private CompletableFuture<RateLimitDecision> reserve(AsyncBucketProxy remote, long tokens, Duration maxWait,
                                                         ScheduledExecutorService scheduler) {
        try {
            return remote.asScheduler().tryConsume(tokens, maxWait, scheduler)
                    .thenCompose(got -> got ? CompletableFuture.completedFuture(granted(limit))
                            : remote.estimateAbilityToConsume(tokens).thenApply(e -> refused(e, limit)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<RateLimitDecision> takeLocally(long tokens, Duration maxWait,
                                                            ScheduledExecutorService scheduler) {
        long asked = Math.min(tokens, localLimit);
        RateLimitDecision now = tryTake(asked);
        if (now.allowed() || maxWait.isZero()) {
            return CompletableFuture.completedFuture(now);
        }
        return local.asScheduler().tryConsume(asked, maxWait, scheduler).thenApply(got -> got ? granted(localLimit)
                : refused(local.estimateAbilityToConsume(asked), localLimit));
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
