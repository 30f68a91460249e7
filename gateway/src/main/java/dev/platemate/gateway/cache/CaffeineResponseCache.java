package dev.platemate.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.platemate.gateway.config.CacheConfig;
import dev.platemate.gateway.limiter.Ticker;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-memory tier, on Caffeine: bounded by a weigher in bytes ({@code cache.max_size}), each entry expiring
 * when it can no longer be served even stale. Maintenance runs on the calling thread (it never blocks), and the
 * sweeper calls {@link #sweep()} so expired entries leave memory even when nobody reads them. Beside it, an index
 * from each resource to its keys, so an invalidation removes them without a scan; keys that left the cache are
 * pruned from the index by the sweep. The only class that imports Caffeine.
 */
final class CaffeineResponseCache implements ResponseCache {

    private final Cache<CacheKey, CachedResponse> cache;
    private final Ticker ticker;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder stale = new LongAdder();
    private final LongAdder bypasses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    /** Keys by their resource's shared name, which is also how other replicas name it. */
    private final ConcurrentHashMap<String, Set<CacheKey>> byResource = new ConcurrentHashMap<>();

    CaffeineResponseCache(CacheConfig config, Ticker ticker) {
        this.ticker = ticker;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(config.maxSize().bytes())
                .weigher((CacheKey key, CachedResponse value) -> key.weight() + value.weight())
                .expireAfter(new Expiry<CacheKey, CachedResponse>() {
                    @Override
                    public long expireAfterCreate(CacheKey key, CachedResponse value, long now) {
                        return Math.max(0, value.expiresAt() - now);
                    }

                    @Override
                    public long expireAfterUpdate(CacheKey key, CachedResponse value, long now, long remaining) {
                        return Math.max(0, value.expiresAt() - now);
                    }

                    @Override
                    public long expireAfterRead(CacheKey key, CachedResponse value, long now, long remaining) {
                        return remaining;
                    }
                })
                .ticker(ticker::read)
                .executor(Runnable::run)
                .removalListener((CacheKey key, CachedResponse value, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
                    if (cause.wasEvicted()) {
                        evictions.increment();
                    }
                })
                .build();
    }

    @Override
    public Lookup lookup(CacheKey key, HttpHeaders requestHeaders) {
        CachedResponse entry = cache.getIfPresent(key);
        State state = entry == null || !entry.matches(requestHeaders) ? State.MISS : entry.stateAt(ticker.read());
        switch (state) {
            case FRESH -> hits.increment();
            case STALE -> stale.increment();
            default -> misses.increment();
        }
        return new Lookup(state, state == State.MISS ? null : entry);
    }

    @Override
    public void store(CacheKey key, CachedResponse response) {
        byResource.compute(key.resource().sharedName(), (resource, keys) -> { // one resource's store and invalidation in turn
            Set<CacheKey> held = keys == null ? ConcurrentHashMap.newKeySet() : keys;
            held.add(key);
            cache.put(key, response);
            return held;
        });
    }

    @Override
    public void invalidate(CacheKey.Resource resource) {
        invalidate(resource.sharedName());
    }

    /** Removes every entry of the resource with this shared name. */
    void invalidate(String resourceName) {
        byResource.computeIfPresent(resourceName, (r, keys) -> {
            cache.invalidateAll(keys);
            return null;
        });
    }

    @Override
    public void countBypass() {
        bypasses.increment();
    }

    @Override
    public long purge(Optional<String> routePrefix) {
        long before = cache.estimatedSize();
        if (routePrefix.isEmpty()) {
            cache.invalidateAll();
        } else {
            cache.asMap().keySet().removeIf(key -> key.routePrefix().equals(routePrefix.get()));
        }
        cache.cleanUp();
        pruneIndex();
        return Math.max(0, before - cache.estimatedSize());
    }

    @Override
    public void sweep() {
        cache.cleanUp();
        pruneIndex();
    }

    /** Drops from the index the keys no longer cached, and resources left with none (atomically per resource). */
    private void pruneIndex() {
        for (String resource : byResource.keySet()) {
            byResource.computeIfPresent(resource, (r, keys) -> {
                keys.removeIf(key -> !cache.asMap().containsKey(key));
                return keys.isEmpty() ? null : keys;
            });
        }
    }

    @Override
    public CacheStats stats() {
        long bytes = cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
        return new CacheStats(cache.estimatedSize(), bytes, hits.sum(), misses.sum(), stale.sum(), bypasses.sum(),
                evictions.sum(), 0);
    }

    @Override
    public long now() {
        return ticker.read();
    }
}
