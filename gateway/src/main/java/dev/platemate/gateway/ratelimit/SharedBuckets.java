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
 * clock). A bucket's key expires 10 s after the bucket would be full again, so idle callers leave nothing behind.
 * While Redis is unreachable there is no shared bucket, and each {@link TokenBucket} falls back to its own share.
 * Thread-safe.
 */
public final class SharedBuckets {

    private static final String PREFIX = "gw:rl:";

    private final RedisLink link;
    /** The Bucket4j manager and the connection it was built on; rebuilt when the link opens a new connection. */
    private volatile Bound bound;

    private record Bound(StatefulRedisConnection<byte[], byte[]> connection, AsyncProxyManager<byte[]> manager) {
    }

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

    private AsyncProxyManager<byte[]> manager() {
        StatefulRedisConnection<byte[], byte[]> connection = link.connection();
        if (connection == null) {
            return null;
        }
        Bound current = bound;
        if (current == null || current.connection() != connection) {
            current = new Bound(connection, Bucket4jLettuce.casBasedBuilder(connection)
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                            Duration.ofSeconds(10)))
                    .build().asAsync());
            bound = current; // two threads may both build one; either will do
        }
        return current.manager();
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
