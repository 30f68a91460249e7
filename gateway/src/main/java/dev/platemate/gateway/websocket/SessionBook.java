package dev.platemate.gateway.websocket;

import dev.platemate.gateway.server.TokenUsage;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The books of every WebSocket session of the process, across reloads: per route, and the listeners (metrics, the
 * access log) told of each session's start, end and tokens. Any thread.
 */
public final class SessionBook {

    /** Hears of sessions. Called on the session's event loop: must not block. */
    public interface Listener {

        /** A session of {@code route} opened; {@code counts} are its route's (the same object every time). */
        default void sessionOpened(String route, RouteSessions counts) {
        }

        default void sessionEnded(SessionSummary summary) {
        }

        /** A Realtime response of a session on {@code upstream} used {@code usage}. */
        default void tokensUsed(String upstream, TokenUsage usage) {
        }
    }

    private static final Logger log = LoggerFactory.getLogger(SessionBook.class);

    private final Map<String, RouteSessions> routes = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public void listen(Listener listener) {
        listeners.add(listener);
    }

    /** Every route that had a session, by prefix. */
    public Map<String, RouteSessions> routes() {
        return new TreeMap<>(routes);
    }

    /** Sessions open now, every route together. */
    public int open() {
        return routes.values().stream().mapToInt(RouteSessions::open).sum();
    }

    RouteSessions opened(String route) {
        RouteSessions counts = routes.computeIfAbsent(route, r -> new RouteSessions());
        counts.opened();
        tell(l -> l.sessionOpened(route, counts));
        return counts;
    }

    void ended(RouteSessions counts, SessionSummary summary) {
        counts.ended(RouteSessions.codeLabel(summary.closeCode()));
        tell(l -> l.sessionEnded(summary));
    }

    void tokensUsed(String upstream, TokenUsage usage) {
        tell(l -> l.tokensUsed(upstream, usage));
    }

    /** Every listener hears, whatever one of them throws: the books are not worth a session. */
    private void tell(Consumer<Listener> news) {
        for (Listener listener : listeners) {
            try {
                news.accept(listener);
            } catch (RuntimeException cause) {
                log.warn("a WebSocket session listener failed: {}", cause.toString());
            }
        }
    }
}
