package dev.platemate.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One replica's try at a shared token, against a real redis-server, when another replica's token lands between its
 * look and its lock, or the store fails after the lock, or the token shared is the one just refused.
 */
class SharedFetchTest {

    private static final String KEY = "food";
    private static final long MINUTE = 60_000;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final AtomicInteger fetches = new AtomicInteger();
    private RedisServer redis;
    private RedisLink link;
    private RedisTokens store;
    private Scripted scripted;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        link = RedisLink.connect(new RedisConfig(redis.url(), Duration.ofSeconds(2), Duration.ofSeconds(10), 0.5));
        await().atMost(Duration.ofSeconds(20)).until(link::up);
        store = new RedisTokens(link);
        scripted = new Scripted(store);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            link.close();
            redis.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    /** The other replica shares its token and frees the lock after this one looked and before it locked. */
    @Test
    void aTokenSharedBetweenTheLookAndTheLockIsTakenNotFetchedAgain() throws Exception {
        assertThat(store.lock(KEY, "other", 10_000).get(5, TimeUnit.SECONDS)).as("the other is fetching").isTrue();
        scripted.sharedBeforeTheLock = "tok-1";

        assertThat(obtain(null).value()).isEqualTo("tok-1");
        assertThat(fetches).as("fetches from the endpoint").hasValue(0);
        assertThatTheLockIsFree();
    }

    /** With the lock, the store fails the second look: the replica fetches, shares, and the write frees the lock. */
    @Test
    void aStoreFailingAfterTheLockMeansAFetchThatIsShared() throws Exception {
        scripted.readFailsAfterTheLock = true;

        assertThat(obtain(null).value()).isEqualTo("tok-2");
        assertThat(fetches).hasValue(1);
        assertThat(store.read(KEY).get(5, TimeUnit.SECONDS).token()).isEqualTo("tok-2");
        assertThatTheLockIsFree();
    }

    /** The token shared is the one the upstream just refused: the second look does not take it either. */
    @Test
    void theTokenJustRefusedIsNotTakenOnTheSecondLook() throws Exception {
        store.write(KEY, "other", "tok-1", MINUTE, MINUTE).get(5, TimeUnit.SECONDS);

        assertThat(obtain("tok-1").value()).isEqualTo("tok-2");
        assertThat(fetches).hasValue(1);
        assertThat(store.read(KEY).get(5, TimeUnit.SECONDS).token()).isEqualTo("tok-2");
        assertThatTheLockIsFree();
    }

    /** The endpoint's client throws instead of answering, with the lock held: the try fails and the lock is freed. */
    @Test
    void aFetchThatThrowsFreesTheLock() throws Exception {
        SharedFetch fetch = new SharedFetch(KEY, scripted, group.next(), () -> {
            throw new IllegalStateException("the token client broke");
        }, TimeUnit.SECONDS.toNanos(5));

        assertThatThrownBy(() -> fetch.obtain(null, null).get(10, TimeUnit.SECONDS))
                .hasRootCauseMessage("the token client broke");
        assertThatTheLockIsFree();
    }

    private Token obtain(String refused) throws Exception {
        SharedFetch fetch = new SharedFetch(KEY, scripted, group.next(), () -> {
            fetches.incrementAndGet();
            return CompletableFuture.completedFuture(Token.of("tok-2", TimeUnit.MINUTES.toNanos(1),
                    TimeUnit.MINUTES.toNanos(1)));
        }, TimeUnit.SECONDS.toNanos(5));
        return fetch.obtain(null, refused).get(10, TimeUnit.SECONDS);
    }

    /** The lock is freed after the token is handed out (never awaited): soon, a third replica can take it. */
    private void assertThatTheLockIsFree() {
        await("the lock is free").atMost(Duration.ofSeconds(5))
                .until(() -> store.lock(KEY, "third", 1000).get(5, TimeUnit.SECONDS));
    }

    /** The Redis store, with what happens around this replica's first lock as a test scripts it. Loop only. */
    private static final class Scripted implements SharedTokens {
        private final SharedTokens store;
        /** A token the other replica shares (freeing its lock) just before this one's first lock; null: none. */
        String sharedBeforeTheLock;
        boolean readFailsAfterTheLock;
        private boolean lockAsked;

        Scripted(SharedTokens store) {
            this.store = store;
        }

        @Override
        public Duration commandTimeout() {
            return store.commandTimeout();
        }

        @Override
        public CompletableFuture<Shared> read(String key) {
            return lockAsked && readFailsAfterTheLock
                    ? CompletableFuture.failedFuture(new IllegalStateException("the store failed"))
                    : store.read(key);
        }

        @Override
        public CompletableFuture<Boolean> lock(String key, String owner, long millis) {
            boolean first = !lockAsked;
            lockAsked = true;
            if (!first || sharedBeforeTheLock == null) {
                return store.lock(key, owner, millis);
            }
            return store.write(key, "other", sharedBeforeTheLock, MINUTE, MINUTE)
                    .thenCompose(done -> store.lock(key, owner, millis));
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
