package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The total time of the last {@value #WINDOW} proxied requests of each upstream, for the p50 and p95 of
 * {@code /health/performance} and {@code gateway status}: what the latency is now, not since the start. Any
 * thread; each upstream's window has its own lock, held for a store.
 */
public final class RecentLatency implements RequestListener {

    static final int WINDOW = 512;

    private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

    @Override
    public void requestEnded(RequestSummary summary) {
        if (!summary.upstream().equals("-")) {
            windows.computeIfAbsent(summary.upstream(), name -> new Window()).add(summary.totalNanos());
        }
    }

    /** The {@code p}-quantile (0 to 1) of {@code upstream}'s recent requests in milliseconds; 0 before any. */
    public double millis(String upstream, double p) {
        Window window = windows.get(upstream);
        return window == null ? 0 : window.quantile(p) / 1e6;
    }

    private static final class Window {
        private final long[] nanos = new long[WINDOW];
        private int next;
        private int size;

        synchronized void add(long value) {
            nanos[next] = value;
            next = (next + 1) % WINDOW;
            size = Math.min(size + 1, WINDOW);
        }

        long quantile(double p) {
            long[] sorted;
            synchronized (this) {
                sorted = Arrays.copyOf(nanos, size);
            }
            if (sorted.length == 0) {
                return 0;
            }
            Arrays.sort(sorted);
            return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1))];
        }
    }
}
