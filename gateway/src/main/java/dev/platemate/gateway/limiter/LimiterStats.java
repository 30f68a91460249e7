package dev.platemate.gateway.limiter;

/** A snapshot of one limiter, in the fields /health/performance reports. */
public record LimiterStats(int maxConcurrent, int active, long total, int queued, long rejected, long timedOut,
                           long cancelled, long waitP50Millis, long waitP99Millis, boolean paused) {

    public int availableSlots() {
        return Math.max(0, maxConcurrent - active);
    }
}
