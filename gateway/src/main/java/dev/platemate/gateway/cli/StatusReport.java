package dev.platemate.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a {@code /health/performance} document into the table of {@code gateway status}: the operations guide's
 * four metrics, each marked ok, WARNING or ALERT by the guide's thresholds, then the detail per upstream, limiter
 * and cache.
 */
final class StatusReport {

    enum Level { OK, WARNING, ALERT }

    private record Row(String metric, String value, String normal, Level level) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final JsonNode report;
    private final Set<String> aiUpstreams;

    StatusReport(JsonNode report, Set<String> aiUpstreams) {
        this.report = report;
        this.aiUpstreams = aiUpstreams;
        long queued = report.at("/ai_limiter/queued").asLong();
        rows.add(new Row("AI queue", Long.toString(queued), "0-5", level(queued, 10, 20)));
        long memory = report.at("/process/memory_used_bytes").asLong();
        rows.add(new Row("memory", megabytes(memory), "200-500 MB", level(memory, 1_000_000_000L, Long.MAX_VALUE)));
        long connections = report.at("/connection_pool/active_connections").asLong()
                + report.at("/connection_pool/idle_connections").asLong();
        rows.add(new Row("connections", Long.toString(connections), "50-100", level(connections, 200,
                Long.MAX_VALUE)));
        double latency = aiLatencyP95();
        rows.add(new Row("AI latency p95", Math.round(latency) + " ms", "200-800 ms",
                level(Math.round(latency), 2000, 5000)));
        long timedOut = report.at("/ai_limiter/timed_out").asLong();
        rows.add(new Row("AI queue timeouts", timedOut + " since start", "0", timedOut > 0 ? Level.WARNING : Level.OK));
        JsonNode redis = report.path("redis");
        if (redis.path("configured").asBoolean()) {
            boolean up = redis.path("up").asBoolean();
            rows.add(new Row("Redis", up ? "up" : "DOWN", "up", up ? Level.OK : Level.WARNING));
        }
    }

    /** The worst level of the guide's metrics. */
    Level worst() {
        return rows.stream().map(Row::level).max(Enum::compareTo).orElse(Level.OK);
    }

    private double aiLatencyP95() {
        double worst = 0;
        for (var upstream : iterable(report.path("upstreams").fieldNames())) {
            if (aiUpstreams.contains(upstream)) {
                worst = Math.max(worst, report.at("/upstreams/" + upstream + "/latency_p95_ms").asDouble());
            }
        }
        return worst;
    }

    private static Level level(long value, long warning, long alert) {
        return value > alert ? Level.ALERT : value > warning ? Level.WARNING : Level.OK;
    }

    String render(String url) {
        StringBuilder out = new StringBuilder();
        out.append("Gateway ").append(url).append(": ").append(report.path("status").asText("?"))
                .append(", overall ").append(label(worst())).append("\n\n");
        out.append(String.format("%-20s %-16s %-12s %s%n", "METRIC", "NOW", "NORMAL", "LEVEL"));
        for (Row row : rows) {
            out.append(String.format("%-20s %-16s %-12s %s%n", row.metric(), row.value(), row.normal(),
                    label(row.level())));
        }
        out.append(String.format("%n%-12s %6s %6s %7s %-9s %8s %8s%n", "UPSTREAM", "ACTIVE", "IDLE", "PENDING",
                "CIRCUIT", "P50 MS", "P95 MS"));
        report.path("upstreams").fields().forEachRemaining(e -> out.append(String.format(
                "%-12s %6d %6d %7d %-9s %8.1f %8.1f%n", e.getKey(), e.getValue().path("active").asLong(),
                e.getValue().path("idle").asLong(), e.getValue().path("pending").asLong(),
                e.getValue().path("circuit").asText(), e.getValue().path("latency_p50_ms").asDouble(),
                e.getValue().path("latency_p95_ms").asDouble())));
        report.path("limiters").fields().forEachRemaining(e -> out.append(String.format(
                "%nlimiter %s: %d/%d slots busy, %d queued, %d rejected, %d timed out, wait p99 %d ms%s",
                e.getKey(), e.getValue().path("active_operations").asLong(),
                e.getValue().path("max_concurrent").asLong(), e.getValue().path("queued").asLong(),
                e.getValue().path("rejected").asLong(), e.getValue().path("timed_out").asLong(),
                e.getValue().path("wait_p99_ms").asLong(), e.getValue().path("paused").asBoolean()
                        ? " (paused by an upstream 429)" : "")));
        JsonNode cache = report.path("cache");
        out.append(String.format("%ncache: %d entries, %s, hit ratio %.2f (%d hits, %d misses)%n",
                cache.path("entries").asLong(), megabytes(cache.path("bytes").asLong()),
                cache.path("hit_ratio").asDouble(), cache.path("hits").asLong(), cache.path("misses").asLong()));
        JsonNode redis = report.path("redis");
        if (redis.path("configured").asBoolean()) {
            out.append(String.format("redis: %s, %d cache misses served from Redis, %d errors, %d fallbacks to "
                            + "this replica alone%n", redis.path("up").asBoolean() ? "up" : "DOWN",
                    cache.path("shared_hits").asLong(), redis.path("errors").asLong(),
                    redis.path("fallbacks").asLong()));
        }
        return out.toString();
    }

    private static String label(Level level) {
        return level == Level.OK ? "ok" : level.name();
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
        return () -> iterator;
    }
}
