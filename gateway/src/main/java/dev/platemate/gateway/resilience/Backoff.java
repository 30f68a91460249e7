package dev.platemate.gateway.resilience;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Jittered exponential backoff between retries: 100 ms, 200 ms, 400 ms ... (capped at 2 s), each ±50%. */
public final class Backoff {

    private static final long BASE_NANOS = Duration.ofMillis(100).toNanos();
    /** The longest backoff, jitter included. */
    public static final Duration MAX = Duration.ofSeconds(3);
    private static final long CAP_NANOS = Duration.ofSeconds(2).toNanos();

    private Backoff() {
    }

    /** The wait before retry number {@code attempt} (1 for the first), at least {@code retryAfter}. */
    public static long nanos(int attempt, Duration retryAfter) {
        long exponential = Math.min(CAP_NANOS, BASE_NANOS << Math.min(20, Math.max(0, attempt - 1)));
        long jittered = exponential / 2 + ThreadLocalRandom.current().nextLong(exponential + 1);
        return Math.max(jittered, retryAfter.toNanos());
    }
}
