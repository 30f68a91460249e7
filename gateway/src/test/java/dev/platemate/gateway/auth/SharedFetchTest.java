package dev.platemate.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.config.RedisConfig;
import dev.platemate.gateway.redis.RedisLink;
import dev.platemate.gateway.redis.RedisTokens;
import dev.platemate.gateway.testing.RedisServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One replica's try at a shared token, against a real redis-server, where another replica's fetch ends meanwhile. */
class SharedFetchTest {

    private static final String KEY = "food";

    /**
     * The other replica shares its token and frees the lock after this one looked (nothing there) and before it
     * asked for the lock: this one takes the token shared, frees the lock it got, and does not fetch a second.
     */
    @Test
    void aTokenSharedBetweenTheLookAndTheLockIsTakenNotFetchedAgain() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (RedisServer redis = RedisServer.start()) {
            RedisLink link = RedisLink.connect(new RedisConfig(redis.url(), Duration.ofSeconds(2), Duration.ofSeconds(10), 0.5));
            try {
                await().atMost(Duration.ofSeconds(20)).until(link::up);
                RedisTokens store = new RedisTokens(link);
                assertThat(store.lock(KEY, "other", 10_000).get(5, TimeUnit.SECONDS)).as("the other is fetching").isTrue();
                AtomicInteger fetches = new AtomicInteger();
                SharedFetch fetch = new SharedFetch(KEY, new SharedJustBeforeTheLock(store), group.next(), () -> {
                    fetches.incrementAndGet();
                    return CompletableFuture.completedFuture(Token.of("tok-2", TimeUnit.MINUTES.toNanos(1),
                            TimeUnit.MINUTES.toNanos(1)));
                }, TimeUnit.SECONDS.toNanos(5));

                Token got = fetch.obtain(null, null).get(10, TimeUnit.SECONDS);

                assertThat(got.value()).isEqualTo("tok-1");
                assertThat(fetches).as("fetches from the endpoint").hasValue(0);
                assertThat(store.lock(KEY, "third", 1000).get(5, TimeUnit.SECONDS)).as("the lock is free").isTrue();
            } finally {
                link.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The store, where the other replica's token lands (and its lock goes) just before this one's first lock. */
    private static final class SharedJustBeforeTheLock implements SharedTokens {
        private final SharedTokens store;
        private boolean shared;

        SharedJustBeforeTheLock(SharedTokens store) {
            this.store = store;
        }

        @Override
        public CompletableFuture<Shared> read(String key) {
            return store.read(key);
        }

        @Override
        public CompletableFuture<Boolean> lock(String key, String owner, long millis) {
            if (shared) {
                return store.lock(key, owner, millis);
            }
            shared = true;
            return store.write(key, "other", "tok-1", 60_000, 60_000).thenCompose(done -> store.lock(key, owner, millis));
        }

        @Override
        public CompletableFuture<Void> write(String key, String owner, String token, long remainingMillis,
                                             long lifetimeMillis) {
            return store.write(key, owner, token, remainingMillis, lifetimeMillis);
        }

        @Override
        public void unlock(String key, String owner) {
            store.unlock(key, owner);
        }

        @Override
        public void drop(String key, String token) {
            store.drop(key, token);
        }
    }
}
