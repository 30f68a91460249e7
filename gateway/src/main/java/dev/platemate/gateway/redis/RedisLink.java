package dev.platemate.gateway.redis;

import dev.platemate.gateway.config.RedisConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection through which replicas share state (Lettuce, non-blocking, one I/O thread of its own). It
 * connects in the background and keeps trying; while it is down, commands fail at once, and a command that takes
 * longer than {@code redis.timeout} fails then, so callers fall back to local state instead of waiting. After
 * such a timeout the link leaves Redis alone for {@link #QUIET}, so a hung Redis costs one timeout, not one per
 * request. It knows
 * whether Redis is reachable, counts errors and fallbacks, and logs each change of state once. The address is
 * logged without credentials.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);
    private static final Duration RETRY = Duration.ofMillis(500);
    /** How long Redis is left alone after a command timed out. */
    static final Duration QUIET = Duration.ofSeconds(1);

    private final RedisConfig config;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final String address;
    private final AtomicReference<State> state = new AtomicReference<>(State.UNKNOWN);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder errors = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> subscriptions;
    private volatile long quietUntil = System.nanoTime();

    /** What was last logged. */
    private enum State { UNKNOWN, UP, DOWN }

    private RedisLink(RedisConfig config) {
        this.config = config;
        this.uri = RedisURI.create(config.url());
        this.address = uri.getHost() + ":" + uri.getPort();
        this.resources = ClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                .reconnectDelay(Delay.constant(RETRY)).build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(1)).build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress socketAddress) {
                becameReachable();
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                becameUnreachable("connection lost");
            }
        });
    }

    /** Starts connecting to {@code config.url} in the background; never waits and never fails for an unreachable server. */
    public static RedisLink connect(RedisConfig config) {
        RedisLink link = new RedisLink(config);
        link.tryConnect();
        return link;
    }

    private void tryConnect() {
        if (closed.get()) {
            return;
        }
        client.connectAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((opened, error) -> {
            if (error != null) {
                becameUnreachable(String.valueOf(error.getMessage()));
                resources.eventExecutorGroup().schedule(this::tryConnect, RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } else if (closed.get()) {
                opened.closeAsync();
            } else {
                connection = opened;
                becameReachable();
            }
        });
    }

    /**
     * Hears what is published on {@code channel}, on a connection of its own that connects in the background and
     * keeps trying; Lettuce subscribes again after a reconnect. What is published while this replica is cut off
     * from Redis is not heard. {@code onMessage} runs on Lettuce's thread and must not block. One subscriber.
     */
    public void subscribe(byte[] channel, Consumer<byte[]> onMessage) {
        if (closed.get()) {
            return;
        }
        client.connectPubSubAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((opened, error) -> {
            if (error != null) {
                resources.eventExecutorGroup().schedule(() -> subscribe(channel, onMessage), RETRY.toMillis(),
                        TimeUnit.MILLISECONDS);
                return;
            }
            if (closed.get()) {
                opened.closeAsync();
                return;
            }
            opened.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] from, byte[] message) {
                    onMessage.accept(message);
                }
            });
            opened.async().subscribe(channel);
            subscriptions = opened;
        });
    }

    /** Publishes {@code message} on {@code channel}; a failure is counted like any command's. */
    public void publish(byte[] channel, byte[] message) {
        call(redis -> redis.publish(channel, message));
    }

    private void becameReachable() {
        if (state.getAndSet(State.UP) != State.UP) {
            log.info("Redis at {} reachable: cache, rate limits and AI slots are shared across replicas", address);
        }
    }

    private void becameUnreachable(String reason) {
        if (!closed.get() && state.getAndSet(State.DOWN) != State.DOWN) {
            log.warn("Redis at {} unreachable ({}): this replica serves from its own cache, applies {}% of every "
                    + "rate and slot limit on its own, and keeps retrying", address, reason,
                    Math.round(config.fallbackShare() * 100));
        }
    }

    /** How long a command may take before it fails ({@code redis.timeout}). */
    public Duration timeout() {
        return config.timeout();
    }

    /** Whether Redis answers now. */
    public boolean up() {
        return connection() != null;
    }

    /**
     * The open connection, or null while there is none or while Redis is being left alone after a timeout (for
     * Bucket4j, which sends its own commands).
     */
    public StatefulRedisConnection<byte[], byte[]> connection() {
        StatefulRedisConnection<byte[], byte[]> current = connection;
        if (current == null || !current.isOpen() || System.nanoTime() - quietUntil < 0) {
            return null;
        }
        return current;
    }

    public RedisConfig config() {
        return config;
    }

    /**
     * Runs one command. The future fails at once while Redis is unreachable, and after {@code redis.timeout} when
     * it does not answer; it completes on Lettuce's thread, so callers hand the result to their own.
     */
    public <T> CompletableFuture<T> call(Function<RedisAsyncCommands<byte[], byte[]>, RedisFuture<T>> command) {
        StatefulRedisConnection<byte[], byte[]> current = connection();
        if (current == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("Redis unreachable"));
        }
        try {
            return counted(command.apply(current.async()).toCompletableFuture());
        } catch (RuntimeException e) {
            errors.increment();
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Counts the failure of {@code future}, if it fails, and returns it. A command that timed out means Redis is
     * there but not answering (hung, or overloaded): it is then left alone for {@link #QUIET}, so requests fall
     * back at once instead of each waiting for the timeout.
     */
    public <T> CompletableFuture<T> counted(CompletableFuture<T> future) {
        return future.whenComplete((value, error) -> {
            if (error == null) {
                if (state.get() != State.UP && connection() != null) {
                    becameReachable();
                }
                return;
            }
            errors.increment();
            if (timedOut(error)) {
                quietUntil = System.nanoTime() + QUIET.toNanos();
                becameUnreachable("no answer within " + config.timeout().toMillis() + " ms");
            }
        });
    }

    private static boolean timedOut(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof RedisCommandTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Someone served from local state because Redis did not answer. */
    public void fellBack() {
        fallbacks.increment();
    }

    public RedisStats stats() {
        return new RedisStats(up(), errors.sum(), fallbacks.sum());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        StatefulRedisConnection<byte[], byte[]> current = connection;
        if (current != null) {
            current.close();
        }
        StatefulRedisPubSubConnection<byte[], byte[]> listening = subscriptions;
        if (listening != null) {
            listening.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
