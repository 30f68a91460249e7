package dev.platemate.gateway.websocket;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** One route's sessions: how many are open, opened, and what they carried each way. Any thread. */
public final class RouteSessions {

    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder opened = new LongAdder();
    private final LongAdder[] messages = {new LongAdder(), new LongAdder()};
    private final LongAdder[] bytes = {new LongAdder(), new LongAdder()};
    private final ConcurrentHashMap<String, LongAdder> closes = new ConcurrentHashMap<>();

    void opened() {
        open.incrementAndGet();
        opened.increment();
    }

    void message(Side from, long payloadBytes) {
        messages[from.ordinal()].increment();
        bytes[from.ordinal()].add(payloadBytes);
    }

    void payload(Side from, long payloadBytes) {
        bytes[from.ordinal()].add(payloadBytes);
    }

    void ended(String code) {
        open.decrementAndGet();
        closes.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    public int open() {
        return open.get();
    }

    public long openedTotal() {
        return opened.sum();
    }

    /** Data messages sent each way: {@code client_to_upstream} or {@code upstream_to_client}. */
    public long messages(String direction) {
        return messages[side(direction).ordinal()].sum();
    }

    public long bytes(String direction) {
        return bytes[side(direction).ordinal()].sum();
    }

    /** Sessions ended, by close code (see {@link #codeLabel}). */
    public Map<String, Long> closes() {
        Map<String, Long> byCode = new TreeMap<>();
        closes.forEach((code, count) -> byCode.put(code, count.sum()));
        return byCode;
    }

    /** The two directions, as metrics and the report name them. */
    public static String[] directions() {
        return new String[] {Side.CLIENT.direction(), Side.UPSTREAM.direction()};
    }

    /**
     * A close code as a label: the codes RFC 6455 and its registry define, or 1006 for a side that went without a
     * close, else {@code application} (3000-4999) or {@code other}; so no peer grows the labels without bound.
     */
    public static String codeLabel(int code) {
        if (code >= 1000 && code <= 1015) {
            return Integer.toString(code);
        }
        return code >= 3000 && code <= 4999 ? "application" : "other";
    }

    private static Side side(String direction) {
        return Side.UPSTREAM.direction().equals(direction) ? Side.UPSTREAM : Side.CLIENT;
    }
}
