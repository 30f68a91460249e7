package dev.platemate.gateway.redis;

import dev.platemate.gateway.limiter.SharedSlots;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * AI slots counted across replicas in Redis: per limiter, a sorted set {@code gw:slots:<limiter>} of leases scored
 * by when they expire, on Redis's own clock (so replicas' clocks need not agree). Taking a slot drops expired
 * leases and adds one if fewer than max are left, in one script; releasing removes it. This replica renews the
 * leases it holds every third of {@code redis.slot_lease}; a replica that dies stops renewing, and its slots come
 * back when they expire. An adaptive limiter's count is shared too: {@code gw:slots-limit:<limiter>} holds the last
 * count a replica moved it to (for ten leases unless moved again), taking a slot holds to it, and every replica
 * adopts it.
 */
public final class RedisSlots implements SharedSlots, AutoCloseable {

    private static final String ACQUIRE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local max = tonumber(ARGV[1])
            local limit, stamp = -1, 0
            if ARGV[4] == '1' then
              local shared = redis.call('HMGET', KEYS[2], 'limit', 'stamp')
              if shared[1] then
                limit, stamp = tonumber(shared[1]), tonumber(shared[2])
                max = limit
              end
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local taken = 0
            if redis.call('ZCARD', KEYS[1]) < max then
              redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              taken = 1
            end
            return {taken, limit, stamp}
            """;
    /** Sets the shared adaptive count, stamped with Redis's own clock in microseconds (one clock for all). */
    private static final String PUBLISH = """
            local t = redis.call('TIME')
            local stamp = tonumber(t[1]) * 1000000 + tonumber(t[2])
            redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'stamp', stamp)
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return stamp
            """;
    /** A published adaptive count lasts this many leases unless moved again: a stale one fades. */
    private static final int LIMIT_LEASES = 10;
    private static final String RENEW = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            for i = 2, #ARGV do
              redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return 1
            """;

    private final RedisLink link;
    private final String replica = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sequence = new AtomicLong();
    private final long leaseMillis;
    private final Map<String, Set<String>> held = new ConcurrentHashMap<>();
    private final Map<String, SharedCount> counts = new ConcurrentHashMap<>();

    /**
     * What this replica knows of one limiter's shared adaptive count: the newest stamp it heard or published, a
     * count newer than that not yet taken, and how many of its own publications are still on their way (while one
     * is, an answer from before it could carry an older count, so none is taken).
     */
    private static final class SharedCount {
        long stamp;
        int news = -1;
        int publishing;

        synchronized void heard(int limit, long at) {
            if (limit > 0 && at > stamp && publishing == 0) {
                stamp = at;
                news = limit;
            }
        }

        synchronized int take() {
            int taken = news;
            news = -1;
            return taken;
        }

        synchronized void publishing() {
            publishing++;
            news = -1;   // this replica's own count is the newer
        }

        synchronized void published(long at) {
            publishing--;
            stamp = Math.max(stamp, at);
        }
    }
    private final ScheduledFuture<?> renewal;

    /** @param timer runs the renewals */
    public RedisSlots(RedisLink link, ScheduledExecutorService timer) {
        this.link = link;
        this.leaseMillis = link.config().slotLease().toMillis();
        long every = Math.max(1, leaseMillis / 3);
        this.renewal = timer.scheduleAtFixedRate(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private static byte[] key(String limiter) {
        return ("gw:slots:" + limiter).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] limitKey(String limiter) {
        return ("gw:slots-limit:" + limiter).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletableFuture<Lease> tryAcquire(String limiter, int max) {
        return tryAcquire(limiter, max, false);
    }

    @Override
    public CompletableFuture<Lease> tryAcquire(String limiter, int max, boolean adaptive) {
        String id = replica + ":" + sequence.incrementAndGet();
        Set<String> mine = held.computeIfAbsent(limiter, name -> ConcurrentHashMap.newKeySet());
        return link.<List<Object>>call(redis -> redis.eval(ACQUIRE, ScriptOutputType.MULTI,
                new byte[][] {key(limiter), limitKey(limiter)}, bytes(max), bytes(leaseMillis), bytes(id),
                bytes(adaptive ? 1 : 0))).thenApply(answer -> {
                    if (adaptive) {   // a number from Redis, which anyone could have written: clamped
                        long limit = Math.max(-1, Math.min(100_000, (Long) answer.get(1)));
                        count(limiter).heard((int) limit, (Long) answer.get(2));
                    }
                    if (!Long.valueOf(1).equals(answer.get(0))) {
                        return null;
                    }
                    mine.add(id);
                    return () -> {
                        mine.remove(id);
                        link.call(redis -> redis.zrem(key(limiter), bytes(id)));
                    };
                });
    }

    private SharedCount count(String limiter) {
        return counts.computeIfAbsent(limiter, name -> new SharedCount());
    }

    @Override
    public int takeSharedLimit(String limiter) {
        return count(limiter).take();
    }

    @Override
    public void publishLimit(String limiter, int limit) {
        SharedCount count = count(limiter);
        count.publishing();
        link.<Long>call(redis -> redis.eval(PUBLISH, ScriptOutputType.INTEGER, new byte[][] {limitKey(limiter)},
                bytes(limit), bytes(leaseMillis * LIMIT_LEASES)))
                .whenComplete((stamp, error) -> count.published(stamp == null ? 0 : stamp));
    }

    @Override
    public int fallbackShareOf(int max) {
        return (int) link.config().shareOf(max);
    }

    @Override
    public void fellBack() {
        link.fellBack();
    }

    /** Pushes the expiry of every lease this replica holds. A lease already gone stays gone. */
    private void renew() {
        held.forEach((limiter, ids) -> {
            List<byte[]> values = new ArrayList<>();
            values.add(bytes(leaseMillis));
            ids.forEach(id -> values.add(bytes(id)));
            if (values.size() > 1) {
                link.call(redis -> redis.eval(RENEW, ScriptOutputType.INTEGER, new byte[][] {key(limiter)},
                        values.toArray(new byte[0][])));
            }
        });
    }

    @Override
    public void close() {
        renewal.cancel(false);
    }
}
