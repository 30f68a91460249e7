package dev.platemate.gateway.cache;

import dev.platemate.gateway.config.CacheConfig;
import dev.platemate.gateway.limiter.Ticker;

/** Creates response caches. */
public final class ResponseCaches {

    private ResponseCaches() {
    }

    /** The in-memory tier, bounded by {@code config.max_size}. */
    public static ResponseCache inMemory(CacheConfig config, Ticker ticker) {
        return new CaffeineResponseCache(config, ticker);
    }

    /** The in-memory tier in front of {@code shared}, which replicas share. */
    public static ResponseCache tiered(CacheConfig config, Ticker ticker, SharedTier shared) {
        return new TieredResponseCache(new CaffeineResponseCache(config, ticker), shared, System::currentTimeMillis);
    }
}
