package dev.platemate.gateway.limiter;

/**
 * Counts slot releases over the last {@link #WINDOW_SECONDS} seconds, to tell a refused client when to come back.
 * Not thread-safe: its limiter guards it.
 */
final class DrainRate {

    static final int WINDOW_SECONDS = 10;

    private final long[] counts = new long[WINDOW_SECONDS];
    private final long[] seconds = new long[WINDOW_SECONDS];

    void record(long nowNanos) {
        long second = nowNanos / 1_000_000_000L;
        int i = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
        if (seconds[i] != second) {
            seconds[i] = second;
            counts[i] = 0;
        }
        counts[i]++;
    }

    /** Seconds until {@code ahead} more releases are expected at the recent rate, or {@code fallback} without one. */
    long secondsFor(int ahead, long nowNanos, long fallback) {
        long now = nowNanos / 1_000_000_000L;
        long released = 0;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            if (now - seconds[i] < WINDOW_SECONDS) {
                released += counts[i];
            }
        }
        if (released == 0) {
            return Math.max(1, fallback);
        }
        double perSecond = released / (double) WINDOW_SECONDS;
        return Math.max(1, (long) Math.ceil(ahead / perSecond));
    }
}
