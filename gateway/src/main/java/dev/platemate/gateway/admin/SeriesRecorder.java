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
import java.util.concurrent.atomic.AtomicLongArray;

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
    /** Per upstream, what finished in each status class (index status / 100; 0 for anything out of 1xx-5xx). */
    private final Map<String, AtomicLongArray> requests = new ConcurrentHashMap<>();
    /** Per error type of the gateway's own (DESIGN.md's table: a bounded set). */
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final AtomicLong aiTokens = new AtomicLong();
    private int next;
    private int count;

    SeriesRecorder() {
        for (double[] column : values) {
            Arrays.fill(column, Double.NaN);
        }
    }

    /**
     * Counts what finished, per upstream and status class, errors by type and AI tokens, until the next sample.
     * Per request: map lookups and increments, nothing built (the series' names are made once a second).
     */
    @Override
    public void requestEnded(RequestSummary summary) {
        int status = summary.status();
        requests.computeIfAbsent(summary.upstream(), upstream -> new AtomicLongArray(6))
                .incrementAndGet(status >= 100 && status < 600 ? status / 100 : 0);
        if (!summary.error().equals("-")) {
            errors.computeIfAbsent(summary.error(), type -> new AtomicLong()).incrementAndGet();
        }
        long tokens = summary.usage().prompt() + summary.usage().completion();
        if (tokens > 0) {
            aiTokens.addAndGet(tokens);
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
        requests.forEach((upstream, classes) -> {   // getAndSet: none lost in between
            String name = "requests." + (upstream.equals("-") ? "gateway" : upstream) + ".";
            for (int c = 1; c < 6; c++) {
                long finished = classes.getAndSet(c, 0);
                if (finished > 0 || columns.containsKey(name + c + "xx")) {
                    record(name + c + "xx", finished, at);
                }
            }
        });
        errors.forEach((type, counter) -> record("errors." + type, counter.getAndSet(0), at));
        long tokens = aiTokens.getAndSet(0);
        if (tokens > 0 || columns.containsKey("ai.tokens")) {
            record("ai.tokens", tokens, at);
        }
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
