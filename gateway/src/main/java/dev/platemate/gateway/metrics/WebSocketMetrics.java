package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.TokenUsage;
import dev.platemate.gateway.websocket.RouteSessions;
import dev.platemate.gateway.websocket.SessionBook;
import dev.platemate.gateway.websocket.SessionSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket sessions' meters, per route: {@code gateway.websocket.sessions} (open now),
 * {@code gateway.websocket.opened}, {@code gateway.websocket.messages} and {@code gateway.websocket.bytes} by
 * direction, {@code gateway.websocket.session.duration} (a histogram), {@code gateway.websocket.closes} by code and
 * who closed; and the tokens of Realtime responses, with the AI routes' tokens. Labels: route prefixes (from the
 * config), two directions, close codes as {@link RouteSessions} bounds them. Any thread.
 */
final class WebSocketMetrics implements SessionBook.Listener {

    private static final Duration[] DURATIONS = {Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
            Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1),
            Duration.ofHours(2)};

    private final MeterRegistry registry;
    private final AiMetrics ai;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    WebSocketMetrics(MeterRegistry registry, AiMetrics ai) {
        this.registry = registry;
        this.ai = ai;
    }

    @Override
    public void sessionOpened(String route, RouteSessions counts) {
        if (!registered.add(route)) {
            return;
        }
        Gauge.builder("gateway.websocket.sessions", counts, RouteSessions::open).tag("route", route)
                .description("WebSocket sessions open now").register(registry);
        FunctionCounter.builder("gateway.websocket.opened", counts, RouteSessions::openedTotal).tag("route", route)
                .description("WebSocket sessions opened").register(registry);
        for (String direction : RouteSessions.directions()) {
            FunctionCounter.builder("gateway.websocket.messages", counts, c -> c.messages(direction))
                    .tags("route", route, "direction", direction).description("WebSocket data messages relayed")
                    .register(registry);
            FunctionCounter.builder("gateway.websocket.bytes", counts, c -> c.bytes(direction))
                    .tags("route", route, "direction", direction).baseUnit("bytes")
                    .description("WebSocket message payload relayed").register(registry);
        }
    }

    @Override
    public void sessionEnded(SessionSummary summary) {
        Timer.builder("gateway.websocket.session.duration").tag("route", summary.route())
                .serviceLevelObjectives(DURATIONS).description("How long WebSocket sessions lasted")
                .register(registry).record(summary.durationNanos(), TimeUnit.NANOSECONDS);
        Counter.builder("gateway.websocket.closes").tags("route", summary.route(), "code",
                RouteSessions.codeLabel(summary.closeCode()), "by", summary.closedBy())
                .description("WebSocket sessions ended, by close code and who closed").register(registry).increment();
    }

    @Override
    public void tokensUsed(String upstream, TokenUsage usage) {
        ai.tokensUsed(upstream, usage);
    }
}
