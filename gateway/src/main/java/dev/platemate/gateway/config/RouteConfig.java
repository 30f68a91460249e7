package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code routes:}.
 *
 * @param path        the prefix it matches; starts and ends with '/'
 * @param stripPrefix whether the prefix is removed (keeping one '/') before the upstream's base path is joined
 * @param limiter     the name of the limiter that guards it, if any
 * @param cache       how its responses are cached, if at all
 * @param ai          whether its bodies are OpenAI-compatible, their usage counted, and how
 * @param fallback    the upstreams tried after its own, if any
 * @param websocket   whether {@code Upgrade: websocket} requests pass to the upstream's WebSocket, and its limits
 */
public record RouteConfig(String path, String upstream, boolean stripPrefix, Optional<String> limiter,
                          Optional<RouteCacheConfig> cache, Optional<AiRouteConfig> ai,
                          Optional<FallbackConfig> fallback, Optional<WebSocketConfig> websocket) {

    /** A route's {@code cache:}. */
    public record RouteCacheConfig(Duration ttl, List<String> methods, Duration staleWhileRevalidate,
                                   Duration staleIfError) {
        public RouteCacheConfig {
            methods = List.copyOf(methods);
        }
    }
}
