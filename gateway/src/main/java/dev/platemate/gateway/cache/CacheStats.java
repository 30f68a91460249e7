package dev.platemate.gateway.cache;

/**
 * A snapshot of the cache for /health/performance and metrics.
 *
 * @param misses     lookups memory could not serve
 * @param sharedHits of those, the ones the shared tier (Redis) served
 */
public record CacheStats(long entries, long bytes, long hits, long misses, long stale, long bypasses,
                         long evictions, long sharedHits) {

    CacheStats withSharedHits(long count) {
        return new CacheStats(entries, bytes, hits, misses, stale, bypasses, evictions, count);
    }

    public double hitRatio() {
        long lookups = hits + misses;
        return lookups == 0 ? 0.0 : (double) (hits + sharedHits) / lookups;
    }
}
