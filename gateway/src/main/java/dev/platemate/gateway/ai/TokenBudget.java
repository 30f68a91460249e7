package dev.platemate.gateway.ai;

import dev.platemate.gateway.ratelimit.TokenBucket;
import java.time.Duration;

/**
 * An upstream's {@code token_limit} as one AI request meets it: admission reserves the request's estimate
 * ({@link AiRequest#estimatedTokens()}), waiting for it up to {@code maxWait} (the limiter's queue timeout on a limited
 * route; not at all elsewhere); once the usage is booked, the difference is given back or taken; and the
 * provider's own count of what it has left ({@code x-ratelimit-remaining-tokens}) holds the bucket to it.
 *
 * @param maxWait how long a request may wait for its tokens, first come first served; zero: refused at once
 */
public record TokenBudget(TokenBucket tokens, Duration maxWait) {
}
