package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code gateway.requests}: a latency histogram of finished requests, tagged by route, upstream and status (the
 * count is the histogram's). Buckets line up with the latency thresholds ops alert on (800 ms, 2 s, 5 s).
 */
final class RequestMetrics implements RequestListener {

    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(800),
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
    };

    private final MeterRegistry registry;
    private final ConcurrentMap<Key, Timer> timers = new ConcurrentHashMap<>();
    private final Function<Key, Timer> newTimer = this::timer;   // made once, not per request

    private record Key(String route, String upstream, int status) {
    }

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void requestEnded(RequestSummary summary) {
        timers.computeIfAbsent(new Key(summary.route(), summary.upstream(), summary.status()), newTimer)
                .record(summary.totalNanos(), TimeUnit.NANOSECONDS);
        for (RequestSummary.Fallback step : summary.fallbacks()) {   // routes x upstreams x triggers: bounded
            registry.counter("gateway.fallbacks", "route", summary.route(), "from", step.from(), "to", step.to(),
                    "reason", step.reason()).increment();
        }
    }

    private Timer timer(Key key) {
        return Timer.builder("gateway.requests")
                .description("Requests the gateway finished, by route, upstream and status")
                .tags("route", key.route(), "upstream", key.upstream(), "status", Integer.toString(key.status()))
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }
}
