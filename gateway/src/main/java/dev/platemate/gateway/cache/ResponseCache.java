package dev.platemate.gateway.cache;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;

/**
 * Stored responses, bounded in bytes, each expiring by its own freshness. Thread-safe; never blocks.
 */
public interface ResponseCache {

    /** How a lookup went. */
    enum State {
        /** Fresh: serve it. */
        FRESH,
        /** Past freshness but within stale-while-revalidate: serve it and refresh in the background. */
        STALE,
        /** Usable only if the upstream fails (stale-if-error). */
        STALE_IF_ERROR,
        /** Nothing usable. */
        MISS
    }

    /** A lookup's result; {@code entry} is null on a MISS. */
    record Lookup(State state, CachedResponse entry) {
    }

    /** The entry for {@code key} whose Vary headers match {@code requestHeaders}; counts a hit or a miss. */
    Lookup lookup(CacheKey key, HttpHeaders requestHeaders);

    /** Stores an entry (entries over max_entry_size are refused by the caller). */
    void store(CacheKey key, CachedResponse response);

    /** A request that skipped the cache (no-cache, no-store). */
    void countBypass();

    /** Empties the cache, or one route's part of it. @return entries removed */
    long purge(Optional<String> routePrefix);

    /** Makes expired entries leave memory now; run by the sweeper, off the event loops. */
    void sweep();

    CacheStats stats();

    /** The current time of the cache's ticker, in nanoseconds. */
    long now();
}
