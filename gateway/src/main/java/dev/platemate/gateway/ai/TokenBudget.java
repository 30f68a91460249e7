package dev.platemate.gateway.ai;

import dev.platemate.gateway.ratelimit.TokenBucket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The token limits one AI request meets: its upstream's {@code token_limit} and its caller's {@code rate_limits}
 * tokens. Admission reserves the request's estimate ({@link AiRequest#estimatedTokens()}) in each, waiting for it
 * up to {@code maxWait} (the limiter's queue timeout on a limited route; not at all elsewhere); once the usage is
 * booked, each difference is given back or taken; and the provider's own count of what it has left
 * ({@code x-ratelimit-remaining-tokens}) holds the upstream's bucket to it.
 *
 * @param upstream the upstream's bucket, or null
 * @param callers  the caller's buckets, one per {@code rate_limits} entry with tokens
 * @param maxWait  how long a request may wait for its tokens, first come first served; zero: refused at once
 */
public record TokenBudget(TokenBucket upstream, List<TokenBucket> callers, Duration maxWait) {

    public TokenBudget {
        callers = List.copyOf(callers);
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
