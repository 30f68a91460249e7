package dev.platemate.gateway.redis;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cache.SharedTier;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cache's shared tier in Redis: one hash per resource (route, upstream and target) under
 * {@code gw:cache:<route prefix>:<hash of upstream and target>}, one field per entry (method, caller, body: hashed),
 * so an unsafe request invalidates every entry of its target with one UNLINK. Beside each hash, a sorted set
 * {@code gw:cache-ttl:...} holds when each field expires: every store (one Lua script, atomic) drops the fields
 * whose time is up and sets both keys to expire with the longest-lived field, so a hash never holds entries long
 * gone (each entry also carries its own times, so one read late is not served). How much Redis holds in all is
 * Redis's {@code maxmemory} (with an LRU policy); each entry is at most {@code cache.max_entry_size}. Invalidations
 * and purges are published, so every replica's memory tier drops its copies too.
 */
public final class RedisCacheStore implements SharedTier {

    static final String PREFIX = "gw:cache:";
    private static final String EXPIRIES = "gw:cache-ttl:";
    /** Fields whose time is up dropped by one store, at most: the rest go at the next. */
    private static final int DROPPED_PER_STORE = 256;
    /** KEYS: the hash, its expiries. ARGV: the field, the entry, its TTL in ms. */
    private static final String STORE = """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
            redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
            local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, %d)
            if #gone > 0 then
              redis.call('HDEL', KEYS[1], unpack(gone))
              redis.call('ZREM', KEYS[2], unpack(gone))
            end
            local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
            local ttl = math.max(1, tonumber(last[2]) - now)
            redis.call('PEXPIRE', KEYS[1], ttl)
            redis.call('PEXPIRE', KEYS[2], ttl)
            return #gone
            """.formatted(DROPPED_PER_STORE);
    /** Where invalidations ("i" and a resource's shared name) and purges ("p" and a route prefix) are published. */
    private static final byte[] CHANGES = bytes("gw:cache-changes");
    private static final int SCAN_BATCH = 500;

    private final RedisLink link;

    public RedisCacheStore(RedisLink link) {
        this.link = link;
    }

    private static byte[] name(CacheKey.Resource resource) {
        return bytes(PREFIX + resource.sharedName());
    }

    private static byte[] expiries(CacheKey.Resource resource) {
        return bytes(EXPIRIES + resource.sharedName());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletableFuture<byte[]> get(CacheKey key) {
        return link.call(redis -> redis.hget(name(key.resource()), bytes(key.sharedVariant()))).exceptionally(error -> {
            link.fellBack();
            return null;
        });
    }

    @Override
    public void put(CacheKey key, byte[] entry, long ttlMillis) {
        byte[][] keys = {name(key.resource()), expiries(key.resource())};
        link.call(redis -> redis.eval(STORE, ScriptOutputType.INTEGER, keys, bytes(key.sharedVariant()), entry,
                bytes(Long.toString(ttlMillis))));
    }

    @Override
    public void invalidate(CacheKey.Resource resource) {
        link.call(redis -> redis.unlink(name(resource), expiries(resource)));
        link.publish(CHANGES, bytes("i" + resource.sharedName()));
    }

    @Override
    public void listen(Changes changes) {
        link.subscribe(CHANGES, message -> {
            String change = new String(message, StandardCharsets.UTF_8);
            if (change.startsWith("i")) {
                changes.invalidated(change.substring(1));
            } else if (change.startsWith("p")) {
                changes.purged(change.length() == 1 ? Optional.empty() : Optional.of(change.substring(1)));
            }
        });
    }

    @Override
    public CompletableFuture<Long> purge(Optional<String> routePrefix) {
        String route = routePrefix.map(RedisCacheStore::escapeGlob).map(p -> p + ":").orElse("") + "*";
        ScanArgs entries = ScanArgs.Builder.matches(PREFIX + route).limit(SCAN_BATCH);
        ScanArgs times = ScanArgs.Builder.matches(EXPIRIES + route).limit(SCAN_BATCH);
        return purgeFrom(ScanCursor.INITIAL, entries, 0).thenCompose(removed ->
                purgeFrom(ScanCursor.INITIAL, times, 0).thenApply(alsoRemoved -> removed)).whenComplete((removed, error) -> {
            if (error == null) {
                link.publish(CHANGES, bytes("p" + routePrefix.orElse("")));
            }
        });
    }

    /** One SCAN step, deleting what it found, until the cursor comes back round. */
    private CompletableFuture<Long> purgeFrom(ScanCursor cursor, ScanArgs args, long removed) {
        return link.call(redis -> redis.scan(cursor, args)).thenCompose((KeyScanCursor<byte[]> page) -> {
            CompletableFuture<Long> deleted = page.getKeys().isEmpty() ? CompletableFuture.completedFuture(0L)
                    : link.call(redis -> redis.unlink(page.getKeys().toArray(new byte[0][])));
            return deleted.thenCompose(count -> page.isFinished() ? CompletableFuture.completedFuture(removed + count)
                    : purgeFrom(page, args, removed + count));
        });
    }

    private static String escapeGlob(String text) {
        return text.replaceAll("([\\\\*?\\[\\]])", "\\\\$1");
    }
}
