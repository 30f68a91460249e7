package dev.platemate.gateway.admin;

import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.LimiterConfig;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.pool.UpstreamPool;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the document of {@code GET /health/performance}, in the shape existing monitoring parses. The limiter
 * and cache parts keep their shape with zeros until those components exist.
 */
final class PerformanceReport {

    private final GatewayConfig config;
    private final Map<String, UpstreamPool> pools;

    PerformanceReport(GatewayConfig config, Map<String, UpstreamPool> pools) {
        this.config = config;
        this.pools = pools;
    }

    Map<String, Object> build(boolean ready) {
        Map<String, Object> limiters = new LinkedHashMap<>();
        config.limiters().values().forEach(l -> limiters.put(l.name(), limiter(l)));
        LimiterConfig main = config.limiters().getOrDefault("ai",
                config.limiters().values().stream().findFirst().orElse(null));

        Map<String, Object> upstreams = new LinkedHashMap<>();
        int active = 0;
        int idle = 0;
        for (UpstreamPool pool : pools.values()) {
            PoolStats stats = pool.stats();
            active += stats.active();
            idle += stats.idle();
            upstreams.put(pool.name(), ordered("active", stats.active(), "idle", stats.idle(),
                    "pending", stats.pending(), "opened", stats.opened(), "closed", stats.closed(),
                    "connect_failures", stats.connectFailures(), "circuit", "closed"));
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("status", ready ? "ok" : "draining");
        report.put("ai_limiter", main == null ? limiter(new LimiterConfig("none", 0, 0, java.time.Duration.ZERO,
                false)) : limiter(main));
        report.put("http_clients", ordered("initialized", ready, "clients_available", ready ? pools.size() : 0));
        report.put("connection_pool", ordered("active_connections", active, "idle_connections", idle,
                "cached_responses", 0));
        report.put("limiters", limiters);
        report.put("upstreams", upstreams);
        report.put("cache", ordered("entries", 0, "bytes", 0, "hits", 0, "misses", 0, "evictions", 0,
                "hit_ratio", 0.0));
        return report;
    }

    private static Map<String, Object> limiter(LimiterConfig limiter) {
        return ordered("max_concurrent", limiter.maxConcurrent(), "active_operations", 0, "total_operations", 0,
                "available_slots", limiter.maxConcurrent(), "queued", 0, "rejected", 0, "timed_out", 0,
                "cancelled", 0);
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
