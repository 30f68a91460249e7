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

    /**
     * Stores {@code entry}, to be dropped once {@code ttlMillis} have passed (when no replica could use it any
     * more); failures are counted and otherwise ignored.
     */
    void put(CacheKey key, byte[] entry, long ttlMillis);

    /**
     * Deletes every entry of {@code resource} and tells every replica's memory tier (see {@link #listen});
     * failures are counted and otherwise ignored.
     */
    void invalidate(CacheKey.Resource resource);

    /**
     * Hears, from now on, the invalidations and purges of every replica, this one's own included, so that entries
     * held in memory go too. What happens while the tier is unreachable is not heard.
     */
    void listen(Changes changes);

    /** What the replicas did to the shared entries. Called on the tier's own thread; must not block. */
    interface Changes {
        /** Every entry of the resource with this {@link CacheKey.Resource#sharedName()} changed. */
        void invalidated(String resourceName);

        /** Every entry, or one route's, was purged. */
        void purged(Optional<String> routePrefix);
    }

    /** Deletes every entry, or one route's, and tells every replica (see {@link #listen}). Completes with how many, or fails when the tier is unreachable. */
    CompletableFuture<Long> purge(Optional<String> routePrefix);
}
