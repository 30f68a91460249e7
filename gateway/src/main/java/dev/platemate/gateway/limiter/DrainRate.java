package dev.platemate.gateway.limiter;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Counts slot releases over the last {@link #WINDOW_SECONDS} seconds, to tell a refused client when to come back.
 * The rate is taken over the time actually observed (from the first release in the window, at least a second), so
 * a queue that begins to drain after a quiet spell is not taken for a slow one. Not thread-safe: its limiter
 * guards it.
 */
final class DrainRate {

    static final int WINDOW_SECONDS = 10;
    /** How far each answer is spread, so that clients refused together do not come back together. */
    static final double JITTER = 0.2;
    private static final long SECOND = 1_000_000_000L;

    private final long[] counts = new long[WINDOW_SECONDS];
    private final long[] seconds = new long[WINDOW_SECONDS];
    /** When the first release of each second came, in nanoseconds. */
    private final long[] firstAt = new long[WINDOW_SECONDS];
    private final DoubleSupplier random;

    DrainRate() {
        this(() -> ThreadLocalRandom.current().nextDouble());
    }

    /** @param random uniform in [0, 1), for the jitter */
    DrainRate(DoubleSupplier random) {
        this.random = random;
    }

    void record(long nowNanos) {
        long second = Math.floorDiv(nowNanos, SECOND);
        int i = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
        if (seconds[i] != second || counts[i] == 0) {
            seconds[i] = second;
            counts[i] = 0;
            firstAt[i] = nowNanos;
        }
        counts[i]++;
    }

    /**
     * Seconds until {@code ahead} more releases are expected at the recent rate, spread by {@link #JITTER}, and
     * never more than {@code capSeconds} (the queue timeout: a later answer cannot be right) nor less than 1.
     * Without a release in the window, {@code capSeconds}, spread the same way.
     */
    long secondsFor(int ahead, long nowNanos, long capSeconds) {
        long now = Math.floorDiv(nowNanos, SECOND);
        long released = 0;
        long since = nowNanos;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            if (counts[i] > 0 && now - seconds[i] < WINDOW_SECONDS) {
                released += counts[i];
                since = Math.min(since, firstAt[i]);
            }
        }
        double estimate;
        if (released == 0) {
            estimate = capSeconds;
        } else {
            double observedSeconds = Math.min(WINDOW_SECONDS, Math.max(1.0, (nowNanos - since) / (double) SECOND));
            estimate = ahead / (released / observedSeconds);
        }
        double spread = estimate * (1 + JITTER * (2 * random.getAsDouble() - 1));
        return Math.max(1, Math.min(capSeconds, (long) Math.ceil(spread)));
    }
}
