package dev.platemate.gateway.admin;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The dashboard's history, in-process and bounded: every second, every number of {@code /health/performance}
 * (flattened to dotted names, such as {@code limiters.ai.queued}; a circuit as 0 closed, 1 half open, 2 open)
 * and what finished in that second (requests per upstream and status class, the gateway's own errors by type, AI
 * tokens), into a ring of
 * {@link #SAMPLES} samples of at most {@link #MAX_SERIES} series: {@code MAX_SERIES × SAMPLES} doubles, about
 * 1.4 MB, allocated once. A series that appears later starts with gaps; one past the bound is not kept.
 * {@link #sample} runs on one timer thread; {@link #snapshot} and the listener may run anywhere.
 */
final class SeriesRecorder implements RequestListener {

    static final int SAMPLES = 900;
    static final int MAX_SERIES = 200;

    private final double[][] values = new double[MAX_SERIES][SAMPLES];
    private final long[] times = new long[SAMPLES];
    private final Map<String, Integer> columns = new LinkedHashMap<>();
    private final Map<String, LongAdder> finished = new ConcurrentHashMap<>();
    private int next;
    private int count;

    SeriesRecorder() {
        for (double[] column : values) {
            Arrays.fill(column, Double.NaN);
        }
    }

    /** Counts what finished, per upstream and status class, and AI tokens, until the next sample. */
    @Override
    public void requestEnded(RequestSummary summary) {
        String upstream = summary.upstream().equals("-") ? "gateway" : summary.upstream();
        finished.computeIfAbsent("requests." + upstream + "." + (summary.status() / 100) + "xx",
                name -> new LongAdder()).increment();
        if (!summary.error().equals("-")) {   // the gateway's own answers, by DESIGN.md's types: a bounded set
            finished.computeIfAbsent("errors." + summary.error(), name -> new LongAdder()).increment();
        }
        long tokens = summary.usage().prompt() + summary.usage().completion();
        if (tokens > 0) {
            finished.computeIfAbsent("ai.tokens", name -> new LongAdder()).add(tokens);
        }
    }

    /** Takes one sample at {@code epochMillis}: the report's numbers, and what finished since the last one. */
    synchronized void sample(long epochMillis, Map<String, Object> report) {
        int at = next;
        for (double[] column : values) {
            column[at] = Double.NaN;
        }
        times[at] = epochMillis;
        flatten("", report, at);
        finished.forEach((name, adder) -> record(name, adder.sumThenReset(), at));
        next = (next + 1) % SAMPLES;
        count = Math.min(SAMPLES, count + 1);
    }

    @SuppressWarnings("unchecked")
    private void flatten(String prefix, Object value, int at) {
        if (value instanceof Map<?, ?> map) {
            if (prefix.startsWith("ai_callers")) {
                return;   // per caller: not a series (unbounded, and a caller's name is theirs)
            }
            ((Map<String, Object>) map).forEach((key, inner) -> flatten(prefix.isEmpty() ? key : prefix + "." + key,
                    inner, at));
        } else if (value instanceof Number number) {
            record(prefix, number.doubleValue(), at);
        } else if (value instanceof Boolean flag) {
            record(prefix, flag ? 1 : 0, at);
        } else if (prefix.endsWith(".circuit") && value instanceof String state) {
            record(prefix, switch (state) {
                case "open" -> 2;
                case "half_open" -> 1;
                default -> 0;
            }, at);
        }
    }

    private void record(String name, double value, int at) {
        Integer column = columns.get(name);
        if (column == null) {
            if (columns.size() >= MAX_SERIES) {
                return;
            }
            column = columns.size();
            columns.put(name, column);
        }
        values[column][at] = value;
    }

    /** The samples, oldest first: their times and each series (null where it has no value). */
    synchronized Map<String, Object> snapshot() {
        int start = (next - count + SAMPLES) % SAMPLES;
        List<Long> when = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            when.add(times[(start + i) % SAMPLES]);
        }
        Map<String, Object> series = new LinkedHashMap<>();
        columns.forEach((name, column) -> {
            List<Double> points = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                double value = values[column][(start + i) % SAMPLES];
                points.add(Double.isNaN(value) ? null : value);
            }
            series.put(name, points);
        });
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("interval_ms", 1000);
        answer.put("capacity", SAMPLES);
        answer.put("times", when);
        answer.put("series", series);
        return answer;
    }
}
