package dev.platemate.gateway.admin;

import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.cache.CacheStats;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.LimiterStats;
import dev.platemate.gateway.metrics.RecentLatency;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.proxy.Proxy;
import dev.platemate.gateway.redis.RedisStats;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.websocket.RouteSessions;
import dev.platemate.gateway.websocket.SessionBook;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds the document of {@code GET /health/performance}, in the shape existing monitoring parses. */
final class PerformanceReport {

    private static final LimiterStats NO_LIMITER = new LimiterStats(0, 0, 0, 0, 0, 0, 0, 0, 0, false);

    private final AdminEndpoints.Sources sources;

    PerformanceReport(AdminEndpoints.Sources sources) {
        this.sources = sources;
    }

    Map<String, Object> build(boolean ready) {
        return build(ready, true);
    }

    /** @param callers whether to rank the AI callers (the dashboard's samples have no use for them) */
    Map<String, Object> build(boolean ready, boolean callers) {
        Proxy.Parts parts = sources.parts().get();
        RecentLatency latency = sources.latency();
        Map<String, UpstreamPool> pools = parts.pools();
        Map<String, UpstreamProtection> protections = parts.protections();
        Map<String, Limiter> limiters = parts.limiters();
        ResponseCache cache = parts.cache();
        Map<String, Object> limiterReports = new LinkedHashMap<>();
        limiters.forEach((name, limiter) -> limiterReports.put(name, limiter(limiter.stats())));
        Limiter main = limiters.getOrDefault("ai", limiters.values().stream().findFirst().orElse(null));

        Map<String, Object> upstreams = new LinkedHashMap<>();
        int active = 0;
        int idle = 0;
        for (UpstreamPool pool : pools.values()) {
            PoolStats stats = pool.stats();
            active += stats.active();
            idle += stats.idle();
            UpstreamProtection protection = protections.get(pool.name());
            Map<String, Object> upstream = ordered("active", stats.active(), "idle", stats.idle(),
                    "pending", stats.pending(), "opened", stats.opened(), "closed", stats.closed(),
                    "connect_failures", stats.connectFailures(), "circuit", circuit(protection),
                    "retrying", protection == null ? 0 : protection.budget().retrying(),
                    "latency_p50_ms", rounded(latency.millis(pool.name(), 0.5)),
                    "latency_p95_ms", rounded(latency.millis(pool.name(), 0.95)),
                    "end_to_end_p50_ms", rounded(latency.endToEndMillis(pool.name(), 0.5)),
                    "end_to_end_p95_ms", rounded(latency.endToEndMillis(pool.name(), 0.95)));
            TokenSource credentials = parts.credentials().get(pool.name());
            if (credentials != null) {   // its state, never the token
                TokenSource.Status auth = credentials.status();
                upstream.put("auth", ordered("state", auth.state(), "expires_at", auth.expiresAt(),
                        "last_error", auth.lastError()));
            }
            upstreams.put(pool.name(), upstream);
        }
        CacheStats cached = cache.stats();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("status", ready ? "ok" : "draining");
        report.put("ai_limiter", limiter(main == null ? NO_LIMITER : main.stats()));
        report.put("http_clients", ordered("initialized", ready, "clients_available", ready ? pools.size() : 0));
        report.put("connection_pool", ordered("active_connections", active, "idle_connections", idle,
                "cached_responses", cached.entries()));
        report.put("limiters", limiterReports);
        report.put("upstreams", upstreams);
        report.put("cache", ordered("entries", cached.entries(), "bytes", cached.bytes(), "hits", cached.hits(),
                "misses", cached.misses(), "stale", cached.stale(), "bypasses", cached.bypasses(),
                "evictions", cached.evictions(), "shared_hits", cached.sharedHits(),
                "hit_ratio", Math.round(cached.hitRatio() * 1000) / 1000.0));
        report.put("websockets", websockets(parts.sessions()));
        if (callers) {
            report.put("ai_callers", sources.aiCallers().top(10));
        }
        RedisStats redis = sources.redis().get();
        report.put("redis", redis == null ? ordered("configured", false)
                : ordered("configured", true, "up", redis.up(), "errors", redis.errors(),
                        "fallbacks", redis.fallbacks()));
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        report.put("process", ordered("memory_used_bytes", memory.getHeapMemoryUsage().getUsed()
                        + memory.getNonHeapMemoryUsage().getUsed() + direct,
                "heap_used_bytes", memory.getHeapMemoryUsage().getUsed(), "direct_used_bytes", direct,
                "client_connections", sources.clientConnections().getAsInt(),
                "requests_in_flight", sources.lifecycle().inFlight()));
        return report;
    }

    /** Sessions open now, and per route what they carried each way and how they closed. */
    private static Map<String, Object> websockets(SessionBook book) {
        Map<String, Object> routes = new LinkedHashMap<>();
        book.routes().forEach((route, counts) -> {
            Map<String, Object> messages = new LinkedHashMap<>();
            Map<String, Object> bytes = new LinkedHashMap<>();
            for (String direction : RouteSessions.directions()) {
                messages.put(direction, counts.messages(direction));
                bytes.put(direction, counts.bytes(direction));
            }
            routes.put(route, ordered("open", counts.open(), "opened", counts.openedTotal(), "messages", messages,
                    "bytes", bytes, "closes", counts.closes()));
        });
        return ordered("open", book.open(), "routes", routes);
    }

    private static double rounded(double millis) {
        return Math.round(millis * 10) / 10.0;
    }

    private static String circuit(UpstreamProtection protection) {
        return protection == null ? "closed" : protection.breaker().state().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Map<String, Object> limiter(LimiterStats stats) {
        Map<String, Object> limiter = ordered("max_concurrent", stats.maxConcurrent(),
                "active_operations", stats.active(),
                "total_operations", stats.total(), "available_slots", stats.availableSlots(),
                "queued", stats.queued(), "rejected", stats.rejected(), "timed_out", stats.timedOut(),
                "cancelled", stats.cancelled(), "wait_p50_ms", stats.waitP50Millis(),
                "wait_p99_ms", stats.waitP99Millis(), "paused", stats.paused());
        LimiterStats.Adaptive adaptive = stats.adaptive();
        if (adaptive != null) {   // the last change's fields are null before any
            Map<String, Object> last = ordered("at", adaptive.changedAt(), "from", adaptive.changedFrom(),
                    "to", adaptive.changedTo(), "reason", adaptive.reason());
            limiter.put("adaptive", ordered("min", adaptive.min(), "max", adaptive.max(), "last_change", last));
        }
        return limiter;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
