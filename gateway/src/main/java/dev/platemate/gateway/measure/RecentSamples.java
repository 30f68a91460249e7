package dev.platemate.gateway.measure;

import java.util.Arrays;

/**
 * The last {@code capacity} values of something (a wait, a latency), for quantiles of what it is now rather than
 * since the start. Any thread: a store holds its lock for a write, a quantile for a copy.
 */
public final class RecentSamples {

    private final long[] values;
    private int next;
    private int size;

    public RecentSamples(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.values = new long[capacity];
    }

    public synchronized void add(long value) {
        values[next] = value;
        next = (next + 1) % values.length;
        size = Math.min(size + 1, values.length);
    }

    /** The {@code p}-quantile (0 to 1, clamped) of the values held, by the nearest rank; 0 before any. */
    public long quantile(double p) {
        long[] sorted;
        synchronized (this) {
            sorted = Arrays.copyOf(values, size);
        }
        if (sorted.length == 0) {
            return 0;
        }
        Arrays.sort(sorted);
        double rank = Math.ceil(Math.max(0, Math.min(1, p)) * sorted.length) - 1;
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
