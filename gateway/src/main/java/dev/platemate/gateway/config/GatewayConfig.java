package dev.platemate.gateway.config;

import java.util.List;
import java.util.Map;

/**
 * The whole of gateway.yml, validated and immutable. Built only by {@link ConfigLoader}; runtime code reads
 * these records and never looks up keys.
 *
 * @param upstreams by name, in file order
 * @param limiters  by name, in file order
 */
public record GatewayConfig(
        ServerConfig server,
        AdminConfig admin,
        Map<String, UpstreamConfig> upstreams,
        Map<String, LimiterConfig> limiters,
        CacheConfig cache,
        List<CallerRateLimitConfig> rateLimits,
        RedisConfig redis,
        List<RouteConfig> routes,
        AiConfig ai) {

    public GatewayConfig {
        upstreams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstreams));
        limiters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(limiters));
        rateLimits = List.copyOf(rateLimits);
        routes = List.copyOf(routes);
    }

    /** A copy with these upstreams (same names: the routes still name them). */
    public GatewayConfig withUpstreams(Map<String, UpstreamConfig> replaced) {
        return new GatewayConfig(server, admin, replaced, limiters, cache, rateLimits, redis, routes, ai);
    }

    /** A copy listening on {@code host}:{@code port}. */
    public GatewayConfig withListen(String host, int port) {
        return new GatewayConfig(server.withHost(host).withPort(port), admin, upstreams, limiters, cache, rateLimits,
                redis, routes, ai);
    }

    /** A copy listening on another port (the {@code GATEWAY_PORT} override, and tests on port 0). */
    public GatewayConfig withPort(int port) {
        return new GatewayConfig(server.withPort(port), admin, upstreams, limiters, cache, rateLimits, redis, routes,
                ai);
    }
}
