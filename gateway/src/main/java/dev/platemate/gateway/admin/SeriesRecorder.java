package dev.platemate.gateway.admin;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
    private final Map<String, AtomicLong> finished = new ConcurrentHashMap<>();
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
                name -> new AtomicLong()).incrementAndGet();
        if (!summary.error().equals("-")) {   // the gateway's own answers, by DESIGN.md's types: a bounded set
            finished.computeIfAbsent("errors." + summary.error(), name -> new AtomicLong()).incrementAndGet();
        }
        long tokens = summary.usage().prompt() + summary.usage().completion();
        if (tokens > 0) {
            finished.computeIfAbsent("ai.tokens", name -> new AtomicLong()).addAndGet(tokens);
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
        finished.forEach((name, counter) -> record(name, counter.getAndSet(0), at));   // none lost in between
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
    Map<String, Object> snapshot() {
        long[] when;
        double[][] copied;
        List<String> names;
        int start;
        int n;
        synchronized (this) {   // a copy of the arrays, quick; the boxing happens outside
            start = (next - count + SAMPLES) % SAMPLES;
            n = count;
            when = times.clone();
            names = new ArrayList<>(columns.keySet());
            copied = new double[names.size()][];
            for (int c = 0; c < copied.length; c++) {
                copied[c] = values[c].clone();
            }
        }
        List<Long> sampledAt = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sampledAt.add(when[(start + i) % SAMPLES]);
        }
        Map<String, Object> series = new LinkedHashMap<>();
        for (int c = 0; c < copied.length; c++) {
            List<Double> points = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                double value = copied[c][(start + i) % SAMPLES];
                points.add(Double.isNaN(value) ? null : value);
            }
            series.put(names.get(c), points);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("interval_ms", 1000);
        answer.put("capacity", SAMPLES);
        answer.put("times", sampledAt);
        answer.put("series", series);
        return answer;
    }
}
