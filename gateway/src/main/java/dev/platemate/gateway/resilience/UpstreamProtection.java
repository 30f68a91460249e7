package dev.platemate.gateway.resilience;

import dev.platemate.gateway.ratelimit.TokenBucket;
import java.time.Duration;

/**
 * What protects one upstream: its circuit breaker, its token bucket (null when it has no rate_limit) and how long a
 * request may wait for a token, its retry budget, how many retries a request may make, and the bucket of AI tokens
 * it may be sent (null when it has no token_limit).
 */
public record UpstreamProtection(CircuitBreaker breaker, TokenBucket bucket, Duration maxWait, RetryBudget budget,
                                 int retries, TokenBucket aiTokens) {
}
