package dev.platemate.gateway.cache;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Stored responses, bounded in bytes, each expiring by its own freshness. Thread-safe; never blocks.
 */
public interface ResponseCache {

    /** How a lookup went; declared from the most useful to the least (the tiers compare them so). */
    enum State {
        /** Fresh: serve it. */
        FRESH,
        /** Past freshness but within stale-while-revalidate: serve it and refresh in the background. */
        STALE,
        /** Usable only if the upstream fails (stale-if-error); revalidated first when it has a validator. */
        STALE_IF_ERROR,
        /** Of no use as it is, but it has a validator: a conditional request may make it fresh again. */
        EXPIRED,
        /** Nothing usable. */
        MISS
    }

    /** A lookup's result; {@code entry} is null on a MISS. */
    record Lookup(State state, CachedResponse entry) {
    }

    /** The entry for {@code key} whose Vary headers match {@code requestHeaders}; counts a hit or a miss. */
    Lookup lookup(CacheKey key, HttpHeaders requestHeaders);

    /**
     * Looks in memory, then, when nothing there can be served, in the shared tier if there is one. Completes at
     * once when the answer is in memory; otherwise on the shared tier's thread.
     */
    default CompletableFuture<Lookup> lookupEverywhere(CacheKey key, HttpHeaders requestHeaders) {
        return CompletableFuture.completedFuture(lookup(key, requestHeaders));
    }

    /** Stores an entry (entries over max_entry_size are refused by the caller). */
    void store(CacheKey key, CachedResponse response);

    /**
     * Removes every entry of {@code resource} (any method, caller or body), in memory and in the shared tier if
     * there is one: a successful unsafe request changed it.
     */
    void invalidate(CacheKey.Resource resource);

    /** A request that skipped the cache (no-cache, no-store). */
    void countBypass();

    /** Empties the cache, or one route's part of it. @return entries removed */
    long purge(Optional<String> routePrefix);

    /** Empties the shared tier too, if there is one, then memory; completes with the entries removed from memory. */
    default CompletableFuture<Long> purgeEverywhere(Optional<String> routePrefix) {
        return CompletableFuture.completedFuture(purge(routePrefix));
    }

    /** Makes expired entries leave memory now; run by the sweeper, off the event loops. */
    void sweep();

    CacheStats stats();

    /** The current time of the cache's ticker, in nanoseconds. */
    long now();
}
