package dev.platemate.gateway.metrics;

import dev.platemate.gateway.measure.RecentSamples;
import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
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

    /** One upstream's two windows, in nanoseconds. */
    private record Windows(RecentSamples toHead, RecentSamples endToEnd) {
        Windows() {
            this(new RecentSamples(WINDOW), new RecentSamples(WINDOW));
        }
    }

    @Override
    public void requestEnded(RequestSummary summary) {
        if (summary.upstream().equals("-")) {
            return;
        }
        Windows windows = upstreams.computeIfAbsent(summary.upstream(), name -> new Windows());
        windows.endToEnd().add(summary.totalNanos());
        // a cache hit, or a client gone before the head (its upstream time runs to when it left), says nothing of it
        if (summary.upstreamMillis() >= 0 && summary.status() != RequestSummary.CLIENT_CLOSED) {
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
}
