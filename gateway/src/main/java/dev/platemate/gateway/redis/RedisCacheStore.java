package dev.platemate.gateway.redis;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cache.SharedTier;
import io.lettuce.core.ExpireArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cache's shared tier in Redis: one hash per resource (route, upstream and target) under
 * {@code gw:cache:<route prefix>:<hash of upstream and target>}, one field per entry (method, caller, body: hashed),
 * so an unsafe request invalidates every entry of its target with one UNLINK. The hash expires with its longest-lived
 * entry (each entry also carries its own times, so one read after its time is not served). How much Redis holds in
 * all is Redis's {@code maxmemory} (with an LRU policy); each entry is at most {@code cache.max_entry_size}.
 */
public final class RedisCacheStore implements SharedTier {

    static final String PREFIX = "gw:cache:";
    private static final int SCAN_BATCH = 500;

    private final RedisLink link;

    public RedisCacheStore(RedisLink link) {
        this.link = link;
    }

    private static byte[] name(CacheKey.Resource resource) {
        return bytes(PREFIX + resource.sharedName());
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

    /** Stores the field, then gives the hash a TTL if it has none, or a longer one if this entry lives longer. */
    @Override
    public void put(CacheKey key, byte[] entry, long ttlMillis) {
        byte[] name = name(key.resource());
        link.call(redis -> redis.hset(name, bytes(key.sharedVariant()), entry));
        link.call(redis -> redis.pexpire(name, ttlMillis, ExpireArgs.Builder.nx()));
        link.call(redis -> redis.pexpire(name, ttlMillis, ExpireArgs.Builder.gt()));
    }

    @Override
    public void invalidate(CacheKey.Resource resource) {
        link.call(redis -> redis.unlink(name(resource)));
    }

    @Override
    public CompletableFuture<Long> purge(Optional<String> routePrefix) {
        String pattern = PREFIX + routePrefix.map(RedisCacheStore::escapeGlob).map(p -> p + ":").orElse("") + "*";
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(SCAN_BATCH);
        return purgeFrom(ScanCursor.INITIAL, args, 0);
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
