package dev.platemate.gateway.limiter;

import java.util.Arrays;

/** The most recent queue waits, for p50 and p99. Not thread-safe: its limiter guards it. */
final class WaitSamples {

    private final long[] millis = new long[1024];
    private int next;
    private int size;

    void add(long waitedNanos) {
        millis[next] = waitedNanos / 1_000_000L;
        next = (next + 1) % millis.length;
        size = Math.min(size + 1, millis.length);
    }

    long percentile(double p) {
        if (size == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(millis, size);
        Arrays.sort(sorted);
        return sorted[(int) Math.min(size - 1, Math.ceil(p * size) - 1)];
    }
}
