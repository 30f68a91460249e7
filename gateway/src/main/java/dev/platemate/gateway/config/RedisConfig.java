package dev.platemate.gateway.config;

import java.time.Duration;

/**
 * The {@code redis:} section; an empty url means a single replica with local state only.
 *
 * @param timeout       how long one Redis command may take before the gateway goes on without it
 * @param slotLease     how long an AI slot lease lives without renewal (a crashed replica's slots come back then)
 * @param fallbackShare the part of each limit (AI slots, rate limits) a replica applies on its own while Redis
 *                      is unreachable
 */
public record RedisConfig(String url, Duration timeout, Duration slotLease, double fallbackShare) {

    public boolean enabled() {
        return !url.isEmpty();
    }

    /** {@code limit} scaled by the fallback share, at least 1. */
    public long shareOf(long limit) {
        return Math.max(1, (long) Math.ceil(limit * fallbackShare));
    }
}
