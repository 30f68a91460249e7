package dev.platemate.gateway.redis;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cache.SharedTier;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The cache's shared tier in Redis: one string per entry under {@code gw:cache:<route prefix>:<hash>}, set with
 * the entry's own TTL, so Redis drops it when no replica could serve it any more. How much Redis holds in all is
 * Redis's {@code maxmemory} (with an LRU policy); each entry is at most {@code cache.max_entry_size}.
 */
public final class RedisCacheStore implements SharedTier {

    static final String PREFIX = "gw:cache:";
    private static final int SCAN_BATCH = 500;

    private final RedisLink link;

    public RedisCacheStore(RedisLink link) {
        this.link = link;
    }

    private static byte[] name(CacheKey key) {
        return (PREFIX + key.sharedName()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletableFuture<byte[]> get(CacheKey key) {
        return link.call(redis -> redis.get(name(key))).exceptionally(error -> {
            link.fellBack();
            return null;
        });
    }

    @Override
    public void put(CacheKey key, byte[] entry, long ttlMillis) {
        link.call(redis -> redis.set(name(key), entry, SetArgs.Builder.px(ttlMillis)));
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
