package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * The last {@value #WINDOW} proxied requests of each upstream, for the p50 and p95 of {@code /health/performance}
 * and {@code gateway status}: what the latency is now, not since the start. Two windows: the upstream's own time,
 * from sending the request to its response head (what says whether the provider is healthy: no queue wait, no
 * stream length), and the end-to-end time the client saw. Any thread; each window has its own lock, held for a
 * store.
 */
public final class RecentLatency implements RequestListener {

    static final int WINDOW = 512;

    private final ConcurrentMap<String, Windows> upstreams = new ConcurrentHashMap<>();

    /** One upstream's two windows. */
    private record Windows(Window toHead, Window endToEnd) {
        Windows() {
            this(new Window(), new Window());
        }
    }

    @Override
    public void requestEnded(RequestSummary summary) {
        if (summary.upstream().equals("-")) {
            return;
        }
        Windows windows = upstreams.computeIfAbsent(summary.upstream(), name -> new Windows());
        windows.endToEnd().add(summary.totalNanos());
        if (summary.upstreamMillis() >= 0) { // a cache hit, or a client gone before the head, says nothing of it
            windows.toHead().add(TimeUnit.MILLISECONDS.toNanos(summary.upstreamMillis()));
        }
    }

    /**
     * The {@code p}-quantile (0 to 1) of {@code upstream}'s time to response head over its recent requests, in
     * milliseconds; 0 before any.
     */
    public double millis(String upstream, double p) {
        Windows windows = upstreams.get(upstream);
        return windows == null ? 0 : windows.toHead().quantile(p) / 1e6;
    }

    /** The same for the end-to-end time of its recent requests, queue wait and whole streams included. */
    public double endToEndMillis(String upstream, double p) {
        Windows windows = upstreams.get(upstream);
        return windows == null ? 0 : windows.endToEnd().quantile(p) / 1e6;
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
