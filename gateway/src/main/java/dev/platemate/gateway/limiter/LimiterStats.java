package dev.platemate.gateway.limiter;

/** A snapshot of one limiter, in the fields /health/performance reports. */
public record LimiterStats(int maxConcurrent, int active, long total, int queued, long rejected, long timedOut,
                           long cancelled, long waitP50Millis, long waitP99Millis, boolean paused,
                           Adaptive adaptive) {

    /**
     * Where an adaptive limiter's count may move, and its last move (null fields before any).
     *
     * @param changedAt ISO-8601 time of the last change, or null
     */
    public record Adaptive(int min, int max, String changedAt, Integer changedFrom, Integer changedTo,
                           String reason) {
    }

    /** A fixed limiter's. */
    public LimiterStats(int maxConcurrent, int active, long total, int queued, long rejected, long timedOut,
                        long cancelled, long waitP50Millis, long waitP99Millis, boolean paused) {
        this(maxConcurrent, active, total, queued, rejected, timedOut, cancelled, waitP50Millis, waitP99Millis, paused,
                null);
    }

    public int availableSlots() {
        return Math.max(0, maxConcurrent - active);
    }
}
