package dev.platemate.gateway.cache;

/** A snapshot of the cache for /health/performance and metrics. */
public record CacheStats(long entries, long bytes, long hits, long misses, long stale, long bypasses,
                         long evictions) {

    public double hitRatio() {
        long lookups = hits + misses;
        return lookups == 0 ? 0.0 : (double) hits / lookups;
    }
}
