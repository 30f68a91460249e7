package dev.platemate.gateway.ratelimit;

import dev.platemate.gateway.redis.RedisLink;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Token buckets that live in Redis, shared by every replica (Bucket4j's Lettuce backend, compare-and-swap, wall
 * clock). A bucket's key expires once it would be full again, so idle callers leave nothing behind. While Redis
 * is unreachable there is no shared bucket, and each {@link TokenBucket} falls back to its own share. Thread-safe.
 */
public final class SharedBuckets {

    private static final String PREFIX = "gw:rl:";

    private final RedisLink link;
    private StatefulRedisConnection<byte[], byte[]> boundTo;
    private AsyncProxyManager<byte[]> manager;

    public SharedBuckets(RedisLink link) {
        this.link = link;
    }

    /** The bucket {@code name} in Redis, or null while Redis is unreachable. */
    AsyncBucketProxy bucket(String name, BucketConfiguration configuration) {
        AsyncProxyManager<byte[]> current = manager();
        if (current == null) {
            return null;
        }
        CompletableFuture<BucketConfiguration> known = CompletableFuture.completedFuture(configuration);
        return current.builder().build((PREFIX + name).getBytes(StandardCharsets.UTF_8), () -> known);
    }

    private synchronized AsyncProxyManager<byte[]> manager() {
        StatefulRedisConnection<byte[], byte[]> connection = link.connection();
        if (connection == null) {
            return null;
        }
        if (connection != boundTo) {
            boundTo = connection;
            manager = Bucket4jLettuce.casBasedBuilder(connection)
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                            Duration.ofSeconds(10)))
                    .build().asAsync();
        }
        return manager;
    }

    /** The part of a limit a replica applies alone while Redis is unreachable. */
    long fallbackShareOf(long requests) {
        return link.config().shareOf(requests);
    }

    /** Counts {@code future}'s failure as a Redis error; returns it. */
    <T> CompletableFuture<T> counted(CompletableFuture<T> future) {
        return link.counted(future);
    }

    void fellBack() {
        link.fellBack();
    }
}
