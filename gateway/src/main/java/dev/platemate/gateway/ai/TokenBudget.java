package dev.platemate.gateway.ai;

import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.ratelimit.TokenBucket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The token limits one AI request meets: its upstream's {@code token_limit} and its caller's {@code rate_limits}
 * tokens. Admission reserves the request's estimate ({@link AiRequest#estimatedTokens()}) in each, waiting for it
 * up to its route limiter's queue timeout (counted as queued there meanwhile; on a route without a limiter it
 * is refused at once); once the usage is
 * booked, each difference is given back or taken; and the provider's own count of what it has left
 * ({@code x-ratelimit-remaining-tokens}) holds the upstream's bucket to it.
 *
 * @param upstream the upstream's bucket, or null
 * @param callers  the caller's buckets, one per {@code rate_limits} entry with tokens
 * @param limiter  the route's limiter, or null
 */
public record TokenBudget(TokenBucket upstream, List<TokenBucket> callers, Limiter limiter) {

    public TokenBudget {
        callers = List.copyOf(callers);
    }

    /** How long a request may wait for its tokens, first come first served; zero: refused at once. */
    Duration maxWait() {
        return limiter == null ? Duration.ZERO : limiter.config().queueTimeout();
    }

    /** A request starts or stops waiting for tokens: it counts as queued in the route's limiter meanwhile. */
    void waiting(boolean waits) {
        if (limiter != null) {
            limiter.waitingForTokens(waits);
        }
    }

    /** Every bucket, the upstream's first. */
    List<TokenBucket> buckets() {
        List<TokenBucket> all = new ArrayList<>(callers.size() + 1);
        if (upstream != null) {
            all.add(upstream);
        }
        all.addAll(callers);
        return all;
    }
}
