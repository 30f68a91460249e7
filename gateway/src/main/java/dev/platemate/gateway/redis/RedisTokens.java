package dev.platemate.gateway.redis;

import dev.platemate.gateway.auth.SharedTokens;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Upstream tokens shared in Redis: {@code gw:oauth:<key>} a hash of the token, its expiry on Redis's own clock and
 * its lifetime, kept only as long as the token lives; {@code gw:oauth-lock:<key>} the fetch lock, holding its
 * owner's id, which expires. A key is an upstream and a hash of its client. Redis holds the token in clear, as it
 * does the cache: it is to be guarded like the gateway's other secrets (a password, {@code rediss://}).
 */
public final class RedisTokens implements SharedTokens {

    /** A year and a day: a shared lifetime beyond it is not a token's. */
    private static final long MAX_MILLIS = 367L * 24 * 3600 * 1000;
    private static final String READ = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local v = redis.call('HMGET', KEYS[1], 'token', 'expires', 'lifetime')
            if not v[1] then return nil end
            return {v[1], tostring(tonumber(v[2]) - now), v[3]}
            """;
    private static final String WRITE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'token', ARGV[1], 'expires', now + tonumber(ARGV[2]), 'lifetime', ARGV[3])
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
            return 1
            """;
    private static final String UNLOCK = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;
    private static final String DROP = """
            if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;

    private final RedisLink link;

    public RedisTokens(RedisLink link) {
        this.link = link;
    }

    private static byte[] bytes(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] token(String key) {
        return bytes("gw:oauth:" + key);
    }

    private static byte[] lock(String key) {
        return bytes("gw:oauth-lock:" + key);
    }

    @Override
    public CompletableFuture<Shared> read(String key) {
        return link.<List<Object>>call(redis -> redis.eval(READ, ScriptOutputType.MULTI, new byte[][] {token(key)}))
                .thenApply(found -> {
                    if (found == null || found.size() < 3) {
                        return null;
                    }
                    try {   // what Redis holds is read as a number from the wire: checked, never trusted
                        String value = new String((byte[]) found.get(0), StandardCharsets.UTF_8);
                        long remaining = Long.parseLong(new String((byte[]) found.get(1), StandardCharsets.US_ASCII));
                        long lifetime = Long.parseLong(new String((byte[]) found.get(2), StandardCharsets.US_ASCII));
                        return remaining > 0 && lifetime > 0 && remaining <= MAX_MILLIS && lifetime <= MAX_MILLIS
                                ? new Shared(value, remaining, Math.max(remaining, lifetime)) : null;
                    } catch (RuntimeException e) {
                        return null;
                    }
                });
    }

    @Override
    public Duration commandTimeout() {
        return link.timeout();
    }

    @Override
    public CompletableFuture<Boolean> lock(String key, String owner, long millis) {
        return link.<String>call(redis -> redis.set(lock(key), bytes(owner),
                SetArgs.Builder.nx().px(millis))).thenApply("OK"::equals);
    }

    @Override
    public CompletableFuture<Void> write(String key, String owner, String token, long remainingMillis,
                                         long lifetimeMillis) {
        return link.<Long>call(redis -> redis.eval(WRITE, ScriptOutputType.INTEGER,
                new byte[][] {token(key), lock(key)}, bytes(token), bytes(remainingMillis),
                bytes(lifetimeMillis), bytes(owner))).thenApply(done -> null);
    }

    @Override
    public void unlock(String key, String owner) {
        link.call(redis -> redis.eval(UNLOCK, ScriptOutputType.INTEGER, new byte[][] {lock(key)}, bytes(owner)));
    }

    @Override
    public void drop(String key, String token) {
        link.call(redis -> redis.eval(DROP, ScriptOutputType.INTEGER, new byte[][] {token(key)}, bytes(token)));
    }
}
