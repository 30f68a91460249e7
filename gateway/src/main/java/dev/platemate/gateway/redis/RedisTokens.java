package dev.platemate.gateway.redis;

import dev.platemate.gateway.auth.SharedTokens;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Upstream tokens shared in Redis: {@code gw:oauth:<upstream>} a hash of the token, its expiry on Redis's own
 * clock and its lifetime, kept only as long as the token lives; {@code gw:oauth-lock:<upstream>} the fetch lock,
 * holding this replica's id, which expires. Redis holds the token in clear, as it does the cache: it is to be
 * guarded like the gateway's other secrets (a password, {@code rediss://}).
 */
public final class RedisTokens implements SharedTokens {

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
    private final byte[] replica = bytes(UUID.randomUUID().toString());

    public RedisTokens(RedisLink link) {
        this.link = link;
    }

    private static byte[] bytes(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] token(String upstream) {
        return bytes("gw:oauth:" + upstream);
    }

    private static byte[] lock(String upstream) {
        return bytes("gw:oauth-lock:" + upstream);
    }

    @Override
    public CompletableFuture<Shared> read(String upstream) {
        return link.<List<Object>>call(redis -> redis.eval(READ, ScriptOutputType.MULTI, new byte[][] {token(upstream)}))
                .thenApply(found -> {
                    if (found == null || found.size() < 3) {
                        return null;
                    }
                    try {   // what Redis holds is read as a number from the wire: checked, never trusted
                        String value = new String((byte[]) found.get(0), StandardCharsets.UTF_8);
                        long remaining = Long.parseLong(new String((byte[]) found.get(1), StandardCharsets.US_ASCII));
                        long lifetime = Long.parseLong(new String((byte[]) found.get(2), StandardCharsets.US_ASCII));
                        return remaining > 0 && lifetime > 0 ? new Shared(value, remaining, lifetime) : null;
                    } catch (RuntimeException e) {
                        return null;
                    }
                });
    }

    @Override
    public CompletableFuture<Boolean> lock(String upstream, long millis) {
        return link.<String>call(redis -> redis.set(lock(upstream), replica,
                SetArgs.Builder.nx().px(millis))).thenApply("OK"::equals);
    }

    @Override
    public CompletableFuture<Void> write(String upstream, String token, long remainingMillis, long lifetimeMillis) {
        return link.<Long>call(redis -> redis.eval(WRITE, ScriptOutputType.INTEGER,
                new byte[][] {token(upstream), lock(upstream)}, bytes(token), bytes(remainingMillis),
                bytes(lifetimeMillis), replica)).thenApply(done -> null);
    }

    @Override
    public void unlock(String upstream) {
        link.call(redis -> redis.eval(UNLOCK, ScriptOutputType.INTEGER, new byte[][] {lock(upstream)}, replica));
    }

    @Override
    public void drop(String upstream, String token) {
        link.call(redis -> redis.eval(DROP, ScriptOutputType.INTEGER, new byte[][] {token(upstream)}, bytes(token)));
    }
}
