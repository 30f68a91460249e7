package dev.platemate.gateway.cache;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cache's second tier, shared by replicas (Redis). Entries travel as bytes ({@link EntryCodec}); a tier that
 * cannot be reached answers "nothing" and the caller goes on with its local tier. Thread-safe; never blocks.
 */
public interface SharedTier {

    /** The stored bytes for {@code key}, or null when there are none or the tier did not answer. Never fails. */
    CompletableFuture<byte[]> get(CacheKey key);

    /** Stores {@code entry} for {@code ttlMillis}; failures are counted and otherwise ignored. */
    void put(CacheKey key, byte[] entry, long ttlMillis);

    /** Deletes every entry of {@code resource}; failures are counted and otherwise ignored. */
    void invalidate(CacheKey.Resource resource);

    /** Deletes every entry, or one route's. Completes with how many, or fails when the tier is unreachable. */
    CompletableFuture<Long> purge(Optional<String> routePrefix);
}
