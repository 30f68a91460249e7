package dev.platemate.gateway.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints the benchmark's results as the old test's "Quick Stats" table and summary, or as JSON. */
public final class QuickStats {

    private final List<Stat> stats;
    private final SelfBench.Options options;

    public QuickStats(List<Stat> stats, SelfBench.Options options) {
        this.stats = List.copyOf(stats);
        this.options = options;
    }

    /** The geometric mean of how many times faster the timed workloads were through the gateway. */
    public double speedup() {
        double logSum = 0;
        int n = 0;
        for (Stat stat : stats) {
            if (Boolean.TRUE.equals(stat.lowerIsBetter()) && !Double.isNaN(stat.factor())) {
                logSum += Math.log(stat.factor());
                n++;
            }
        }
        return n == 0 ? Double.NaN : Math.exp(logSum / n);
    }

    public String table() {
        StringBuilder out = new StringBuilder("\nQuick Stats\n");
        String row = "| %-30s | %-22s | %-22s | %-14s |%n";
        out.append(String.format(row, "Metric", "Before (direct)", "After (gateway)", "Improvement"));
        out.append(String.format(row, "-".repeat(30), "-".repeat(22), "-".repeat(22), "-".repeat(14)));
        for (Stat stat : stats) {
            out.append(String.format(row, stat.metric(), stat.format(stat.before()), stat.format(stat.after()),
                    stat.improvement()));
        }
        out.append(String.format(Locale.ROOT, "%nSummary: through the gateway the timed workloads ran %.1fx faster "
                + "(geometric mean).%n", speedup()));
        out.append("Before: a new HTTPS connection per call, straight to the provider (as httpx.AsyncClient() per "
                + "call did).\nAfter: warm pooled connections through the gateway, with the AI limiter ("
                + options.aiLimit() + " at once, queueing the rest) and the food-search cache.\n");
        out.append("A time shows no improvement where calls failed direct: a refused call returns at once.\n");
        out.append(String.format(Locale.ROOT, "Stand-in provider: chat completions take %d ms and answer 429 above "
                + "%d at once.%n", options.aiLatency().toMillis(), options.aiLimit()));
        return out.toString();
    }

    public String json() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Stat stat : stats) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("metric", stat.metric());
            row.put("unit", stat.unit());
            row.put("before", Double.isNaN(stat.before()) ? null : stat.before());
            row.put("after", stat.after());
            row.put("improvement", stat.improvement());
            rows.add(row);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("stats", rows);
        document.put("speedup", speedup());
        document.put("settings", Map.of("ai_latency_ms", options.aiLatency().toMillis(), "ai_limit",
                options.aiLimit(), "users", options.users(), "throughput_seconds",
                options.throughputFor().toSeconds()));
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
