package dev.platemate.gateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.platemate.gateway.limiter.Ticker;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * One token bucket per caller for one {@code rate_limits} entry. Buckets of callers gone quiet for a whole window
 * are dropped (they would be full again anyway), and at most {@link #MAX_CALLERS} are kept, so memory stays
 * bounded whoever calls. With {@link SharedBuckets}, each caller's bucket lives in Redis under a hash of the
 * caller (a header may carry a key, which never goes there in clear). Thread-safe.
 */
final class CallerBuckets {

    static final int MAX_CALLERS = 100_000;

    private final long requests;
    private final Duration per;
    private final Ticker ticker;
    private final SharedBuckets shared;
    private final String name;
    private final Cache<String, TokenBucket> buckets;

    /** @param name this entry's name among the shared buckets (unused when {@code shared} is null) */
    CallerBuckets(long requests, Duration per, Ticker ticker, SharedBuckets shared, String name) {
        this.requests = requests;
        this.per = per;
        this.ticker = ticker;
        this.shared = shared;
        this.name = name;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(per).maximumSize(MAX_CALLERS)
                .ticker(ticker::read).executor(Runnable::run).build();
    }

    CompletableFuture<RateLimitDecision> take(String caller) {
        return bucket(caller).tryTakeEverywhere();
    }

    /** The caller's bucket, made on first use. */
    TokenBucket bucket(String caller) {
        return buckets.get(caller, this::bucketFor);
    }

    private TokenBucket bucketFor(String caller) {
        return shared == null ? new TokenBucket(requests, per, ticker)
                : new TokenBucket(requests, per, ticker, shared, name + ":" + sha256(caller));
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
