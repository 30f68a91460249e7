package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import dev.platemate.gateway.server.TokenUsage;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each caller of the AI routes used since the start, for the bounded top list of {@code /health/performance}
 * (never a metric label: callers are unbounded). At most {@link #MAX_CALLERS} are told apart; later ones count as
 * {@code other}. Any thread.
 */
public final class AiCallers implements RequestListener {

    static final int MAX_CALLERS = 10_000;

    private final ConcurrentHashMap<String, Totals> callers = new ConcurrentHashMap<>();

    private static final class Totals {
        final LongAdder requests = new LongAdder();
        final LongAdder prompt = new LongAdder();
        final LongAdder completion = new LongAdder();

        long tokens() {
            return prompt.sum() + completion.sum();
        }
    }

    @Override
    public void requestEnded(RequestSummary summary) {
        TokenUsage usage = summary.usage();
        if (usage == TokenUsage.NONE) {
            return;
        }
        String caller = callers.size() < MAX_CALLERS || callers.containsKey(summary.caller()) ? summary.caller()
                : "other";
        Totals totals = callers.computeIfAbsent(caller, name -> new Totals());
        totals.requests.increment();
        totals.prompt.add(usage.prompt());
        totals.completion.add(usage.completion());
    }

    /** The {@code n} callers that used the most tokens, most first. */
    public List<Map<String, Object>> top(int n) {
        return callers.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, Totals> e) -> e.getValue().tokens()).reversed())
                .limit(n)
                .map(e -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("caller", e.getKey());
                    row.put("requests", e.getValue().requests.sum());
                    row.put("prompt_tokens", e.getValue().prompt.sum());
                    row.put("completion_tokens", e.getValue().completion.sum());
                    return row;
                }).toList();
    }
}
