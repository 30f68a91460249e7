package dev.platemate.gateway.cache;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory first, then the shared tier: a lookup that finds nothing usable in memory asks the shared tier, and an
 * entry found there is kept in memory too. Every store goes to both. When the shared tier does not answer, the
 * lookup is the memory's. Thread-safe; never blocks.
 */
final class TieredResponseCache implements ResponseCache {

    private static final Logger log = LoggerFactory.getLogger(TieredResponseCache.class);

    private final CaffeineResponseCache local;
    private final SharedTier shared;
    private final LongSupplier wallClock;
    private final LongAdder sharedHits = new LongAdder();
    /** Counts invalidations and purges: an answer from the shared tier that crossed one is not kept in memory. */
    private final AtomicLong changes = new AtomicLong();

    TieredResponseCache(CaffeineResponseCache local, SharedTier shared, LongSupplier wallClock) {
        this.local = local;
        this.shared = shared;
        this.wallClock = wallClock;
        shared.listen(new SharedTier.Changes() {   // another replica's change reaches this one's memory
            @Override
            public void invalidated(String resourceName) {
                changes.incrementAndGet();
                local.invalidate(resourceName);
            }

            @Override
            public void purged(Optional<String> routePrefix) {
                changes.incrementAndGet();
                local.purge(routePrefix);
            }
        });
    }

    @Override
    public Lookup lookup(CacheKey key, HttpHeaders requestHeaders) {
        return local.lookup(key, requestHeaders);
    }

    @Override
    public CompletableFuture<Lookup> lookupEverywhere(CacheKey key, HttpHeaders requestHeaders) {
        Lookup inMemory = local.lookup(key, requestHeaders);
        if (inMemory.state() == State.FRESH || inMemory.state() == State.STALE) {
            return CompletableFuture.completedFuture(inMemory);
        }
        long changesBefore = changes.get();
        return shared.get(key).thenApply(bytes -> {
            CachedResponse entry = bytes == null ? null : EntryCodec.read(bytes, now(), wallClock.getAsLong());
            if (entry == null || !entry.matches(requestHeaders)) {
                return inMemory;
            }
            State state = entry.stateAt(now());
            if (state.compareTo(inMemory.state()) >= 0 || changes.get() != changesBefore) {
                return inMemory; // no better (State is declared best first), or perhaps invalidated since it was read
            }
            if (state == State.FRESH || state == State.STALE) {
                sharedHits.increment();
            }
            local.store(key, entry);
            return new Lookup(state, entry);
        });
    }

    @Override
    public void store(CacheKey key, CachedResponse response) {
        local.store(key, response);
        long now = now();
        long ttl = EntryCodec.ttlMillis(response, now);
        if (ttl > 0) {
            shared.put(key, EntryCodec.write(response, now, wallClock.getAsLong()), ttl);
        }
    }

    @Override
    public void invalidate(CacheKey.Resource resource) {
        changes.incrementAndGet();
        shared.invalidate(resource);
        local.invalidate(resource);
    }

    @Override
    public void countBypass() {
        local.countBypass();
    }

    @Override
    public long purge(Optional<String> routePrefix) {
        return local.purge(routePrefix);
    }

    @Override
    public CompletableFuture<Long> purgeEverywhere(Optional<String> routePrefix) {
        changes.incrementAndGet();
        return shared.purge(routePrefix).handle((removed, error) -> {
            if (error != null) {
                log.warn("Cache purge reached this replica only: the shared tier did not answer ({})",
                        error.getMessage());
            }
            return local.purge(routePrefix);
        });
    }

    @Override
    public void sweep() {
        local.sweep();
    }

    @Override
    public CacheStats stats() {
        return local.stats().withSharedHits(sharedHits.sum());
    }

    @Override
    public long now() {
        return local.now();
    }
}
