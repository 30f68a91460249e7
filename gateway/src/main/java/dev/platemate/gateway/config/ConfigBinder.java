package dev.platemate.gateway.config;

import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.config.UpstreamConfig.CircuitBreakerConfig;
import dev.platemate.gateway.config.UpstreamConfig.EgressProxy;
import dev.platemate.gateway.config.UpstreamConfig.PoolConfig;
import dev.platemate.gateway.config.UpstreamConfig.RateLimitConfig;
import dev.platemate.gateway.config.UpstreamConfig.TlsConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Binds the parsed tree to records, section by section, with the defaults of DESIGN.md. */
final class ConfigBinder {

    /** Paths the gateway answers itself (a prefix when it ends with '/', else one path); no route may capture them. */
    static final List<String> GATEWAY_PATHS = List.of("/health/", "/metrics", "/admin/", "/dashboard");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Set<String> CACHEABLE_METHODS = Set.of("GET", "HEAD", "POST");

    private final Path baseDirectory;

    ConfigBinder(Path baseDirectory) {
        this.baseDirectory = baseDirectory == null ? Path.of(".") : baseDirectory;
    }

    GatewayConfig bind(ConfigNode root) {
        ServerConfig server = server(root.child("server"));
        ConfigNode adminNode = root.child("admin");
        AdminConfig admin = new AdminConfig(adminNode.string("token", ""));
        adminNode.rejectUnknownKeys();
        Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
        ConfigNode upstreamsNode = root.child("upstreams");
        for (String name : upstreamsNode.keys()) {
            if (validName(upstreamsNode, name)) {
                upstreams.put(name, upstream(name, upstreamsNode.child(name)));
            }
        }
        Map<String, LimiterConfig> limiters = new LinkedHashMap<>();
        ConfigNode limitersNode = root.child("limiters");
        for (String name : limitersNode.keys()) {
            if (validName(limitersNode, name)) {
                limiters.put(name, limiter(name, limitersNode.child(name)));
            }
        }
        CacheConfig cache = cache(root.child("cache"));
        List<CallerRateLimitConfig> rateLimits = root.children("rate_limits").stream().map(this::callerLimit).toList();
        RedisConfig redis = redis(root.child("redis"));
        List<RouteConfig> routes = routes(root, upstreams.keySet(), limiters.keySet());
        AiConfig ai = AiConfigBinder.ai(root);
        root.rejectUnknownKeys();
        return new GatewayConfig(server, admin, upstreams, limiters, cache, rateLimits, redis, routes, ai);
    }

    private ServerConfig server(ConfigNode n) {
        String listen = n.string("listen", "0.0.0.0:8080");
        int colon = listen.lastIndexOf(':');
        String host = colon > 0 ? listen.substring(0, colon) : "";
        int port = -1;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException ignored) {
            // reported below
        }
        if (host.isEmpty() || port < 0 || port > 65535) {
            n.error("listen", listen, "host:port, such as 0.0.0.0:8080");
            host = "0.0.0.0";
            port = 8080;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        List<Cidr> trusted = new ArrayList<>();
        for (String cidr : n.strings("trusted_proxies", List.of())) {
            Cidr.parse(cidr).ifPresentOrElse(trusted::add,
                    () -> n.error("trusted_proxies", cidr, "an address or CIDR block, such as 10.0.0.0/8"));
        }
        ServerConfig server = new ServerConfig(host, port,
                n.integer("io_threads", 0, 0, 1024),
                n.integer("max_connections", 10_000, 1, Integer.MAX_VALUE),
                atLeast(n, "max_request_line", DataSize.ofKibibytes(8), 256),
                atLeast(n, "max_header_size", DataSize.ofKibibytes(32), 1024),
                n.size("max_body_size", DataSize.ofMebibytes(25)),
                n.positiveDuration("header_timeout", Duration.ofSeconds(10)),
                n.positiveDuration("idle_timeout", Duration.ofSeconds(60)),
                n.duration("shutdown_timeout", Duration.ofSeconds(30)),
                trusted);
        n.rejectUnknownKeys();
        return server;
    }

    private static DataSize atLeast(ConfigNode n, String key, DataSize fallback, long min) {
        DataSize size = n.size(key, fallback);
        if (size.bytes() < min) {
            n.error(key, size, "at least " + min + " bytes");
            return fallback;
        }
        return size;
    }

    private UpstreamConfig upstream(String name, ConfigNode n) {
        String scheme = "https";
        String host = "invalid";
        int port = 443;
        String basePath = "";
        String url = n.string("url", null);
        if (url == null) {
            n.error("url", "", "the upstream's URL, such as https://api.openai.com");
        } else {
            try {
                URI uri = new URI(url.trim());
                scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null
                        || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getUserInfo() != null) {
                    throw new URISyntaxException(url, "unsupported");
                }
                host = uri.getHost();
                port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
                String path = uri.getRawPath() == null ? "" : uri.getRawPath();
                basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            } catch (URISyntaxException e) {
                n.error("url", url, "http:// or https:// with a host, an optional port and base path, no query");
            }
        }
        Map<String, String> headers = n.stringMap("headers");
        ConfigNode headersNode = n.child("headers");
        headers.keySet().stream().filter(h -> !TOKEN.matcher(h).matches())
                .forEach(h -> headersNode.error(h, h, "a valid header name"));
        ConfigNode tlsNode = n.child("tls");
        TlsConfig tls = new TlsConfig(tlsNode.bool("verify", true), tlsNode.string("ca_file", ""));
        if (!tls.caFile().isEmpty()) {
            Path ca = baseDirectory.resolve(tls.caFile());
            if (!Files.isReadable(ca)) {
                tlsNode.error("ca_file", tls.caFile(), "a readable PEM file");
            } else {
                tls = new TlsConfig(tls.verify(), ca.toString());
            }
        }
        tlsNode.rejectUnknownKeys();
        Optional<EgressProxy> egress = Optional.ofNullable(n.parsed("egress_proxy", null, ConfigBinder::egressProxy,
                "http://host:port or socks5://host:port, or empty"));
        ConfigNode poolNode = n.child("pool");
        PoolConfig pool = new PoolConfig(
                poolNode.integer("max_connections", 64, 1, 100_000),
                poolNode.integer("max_pending", 1024, 0, 1_000_000),
                poolNode.positiveDuration("idle_timeout", Duration.ofSeconds(90)),
                poolNode.integer("max_requests_per_connection", 0, 0, Integer.MAX_VALUE));
        poolNode.rejectUnknownKeys();
        Optional<RateLimitConfig> rateLimit = Optional.empty();
        if (n.has("rate_limit")) {
            ConfigNode r = n.child("rate_limit");
            rateLimit = Optional.of(new RateLimitConfig(r.longValue("requests", 500, 1, Long.MAX_VALUE),
                    r.positiveDuration("per", Duration.ofMinutes(1)), r.duration("max_wait", Duration.ZERO)));
            r.rejectUnknownKeys();
        }
        Optional<UpstreamConfig.TokenLimitConfig> tokenLimit = Optional.empty();
        if (n.has("token_limit")) {
            ConfigNode t = n.child("token_limit");
            tokenLimit = Optional.of(new UpstreamConfig.TokenLimitConfig(t.longValue("tokens", 100_000, 1,
                    Long.MAX_VALUE / 4), t.positiveDuration("per", Duration.ofMinutes(1))));
            t.rejectUnknownKeys();
        }
        ConfigNode cb = n.child("circuit_breaker");
        CircuitBreakerConfig breaker = new CircuitBreakerConfig(cb.integer("failure_threshold", 5, 1, 1_000_000),
                cb.positiveDuration("open_for", Duration.ofSeconds(30)));
        cb.rejectUnknownKeys();
        UpstreamConfig upstream = new UpstreamConfig(name, scheme, host, port, basePath,
                n.positiveDuration("connect_timeout", Duration.ofSeconds(5)),
                n.positiveDuration("response_timeout", Duration.ofSeconds(120)),
                n.positiveDuration("idle_timeout", Duration.ofSeconds(60)),
                headers, tls, egress, pool, rateLimit, tokenLimit, breaker, n.integer("retries", 1, 0, 10),
                AuthConfigBinder.auth(n, headers));
        n.rejectUnknownKeys();
        return upstream;
    }

    private static Optional<EgressProxy> egressProxy(String text) {
        if (text.isBlank()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(text.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            EgressProxy.Kind kind = switch (scheme) {
                case "http" -> EgressProxy.Kind.HTTP;
                case "socks5" -> EgressProxy.Kind.SOCKS5;
                default -> null;
            };
            if (kind == null || uri.getHost() == null || uri.getPort() <= 0) {
                return Optional.empty();
            }
            return Optional.of(new EgressProxy(kind, uri.getHost(), uri.getPort()));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    private LimiterConfig limiter(String name, ConfigNode n) {
        int maxConcurrent = n.integer("max_concurrent", 5, 1, 100_000);
        LimiterConfig limiter = new LimiterConfig(name, maxConcurrent,
                n.integer("max_queue", 200, 0, 1_000_000),
                n.positiveDuration("queue_timeout", Duration.ofSeconds(30)),
                n.bool("pause_on_429", true),
                adaptive(n, maxConcurrent));
        n.rejectUnknownKeys();
        return limiter;
    }

    private static Optional<LimiterConfig.Adaptive> adaptive(ConfigNode limiter, int maxConcurrent) {
        if (!limiter.has("adaptive")) {
            return Optional.empty();
        }
        ConfigNode n = limiter.child("adaptive");
        int min = n.integer("min", 1, 1, 100_000);
        int max = n.integer("max", Math.max(maxConcurrent, 100), 1, 100_000);
        if (min > maxConcurrent) {
            n.error("min", min, "at most max_concurrent (" + maxConcurrent + "), where the count starts");
        }
        if (max < maxConcurrent) {
            n.error("max", max, "at least max_concurrent (" + maxConcurrent + "), where the count starts");
        }
        n.rejectUnknownKeys();
        return Optional.of(new LimiterConfig.Adaptive(min, max));
    }

    private CacheConfig cache(ConfigNode n) {
        CacheConfig cache = new CacheConfig(n.size("max_size", DataSize.ofMebibytes(256)),
                n.size("max_entry_size", DataSize.ofMebibytes(2)),
                n.positiveDuration("sweep_interval", Duration.ofSeconds(30)));
        if (cache.maxEntrySize().bytes() > cache.maxSize().bytes()) {
            n.error("max_entry_size", cache.maxEntrySize(), "at most max_size (" + cache.maxSize() + ")");
        }
        n.rejectUnknownKeys();
        return cache;
    }

    private CallerRateLimitConfig callerLimit(ConfigNode n) {
        String key = n.string("key", "ip");
        Optional<String> header = Optional.empty();
        if (key.startsWith("header:") && TOKEN.matcher(key.substring(7)).matches()) {
            header = Optional.of(key.substring(7));
        } else if (!key.equals("ip")) {
            n.error("key", key, "ip or header:<Header-Name>");
        }
        long tokens = n.longValue("tokens", 0, 1, Long.MAX_VALUE / 4);
        long requests = n.has("requests") || tokens == 0 ? n.longValue("requests", 60, 1, Long.MAX_VALUE) : 0;
        CallerRateLimitConfig limit = new CallerRateLimitConfig(header, requests,
                n.positiveDuration("per", Duration.ofMinutes(1)), tokens);
        n.rejectUnknownKeys();
        return limit;
    }

    private RedisConfig redis(ConfigNode n) {
        String url = n.string("url", "").trim();
        if (!url.isEmpty() && !url.startsWith("redis://") && !url.startsWith("rediss://")) {
            n.error("url", url, "redis://host:port, or empty for none");
        }
        RedisConfig redis = new RedisConfig(url, n.positiveDuration("timeout", Duration.ofMillis(250)),
                n.positiveDuration("slot_lease", Duration.ofSeconds(30)), n.fraction("fallback_share", 0.5));
        n.rejectUnknownKeys();
        return redis;
    }

    private List<RouteConfig> routes(ConfigNode root, Set<String> upstreams, Set<String> limiters) {
        List<RouteConfig> routes = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (ConfigNode n : root.children("routes")) {
            String path = n.string("path", "");
            if (!path.startsWith("/") || !path.endsWith("/") || path.contains("//") || path.contains("/../")
                    || path.contains("/./") || path.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#')) {
                n.error("path", path, "a prefix that starts and ends with '/', such as /openai/");
            } else if (GATEWAY_PATHS.stream().anyMatch(own -> own.startsWith(path)
                    || (own.endsWith("/") ? path.startsWith(own) : path.equals(own + "/")))) {   // an exact path
                n.error("path", path, "a prefix that does not overlap the gateway's own paths "
                        + String.join(", ", GATEWAY_PATHS));
            } else if (!paths.add(path)) {
                n.error("path", path, "a prefix no other route uses");
            }
            String upstream = n.string("upstream", "");
            if (!upstreams.contains(upstream)) {
                n.error("upstream", upstream, "one of " + String.join(", ", upstreams));
            }
            Optional<String> limiter = Optional.ofNullable(n.string("limiter", null));
            limiter.filter(l -> !limiters.contains(l)).ifPresent(l -> n.error("limiter", l,
                    limiters.isEmpty() ? "a limiter defined under limiters:" : "one of " + String.join(", ", limiters)));
            routes.add(new RouteConfig(path, upstream, n.bool("strip_prefix", true), limiter, routeCache(n),
                    AiConfigBinder.route(n), fallback(n, upstream, upstreams), websocket(n)));
            n.rejectUnknownKeys();
        }
        if (routes.isEmpty()) {
            root.error("routes", "", "at least one route");
        }
        return routes;
    }

    /** {@code websocket: true} and its limits, which mean nothing without it. */
    private static Optional<WebSocketConfig> websocket(ConfigNode route) {
        List<String> limits = List.of("max_message_size", "idle_timeout", "max_session");
        if (!route.bool("websocket", false)) {
            limits.stream().filter(route::has).findFirst().ifPresent(key -> route.error(key, "",
                    "only beside websocket: true"));
            return Optional.empty();
        }
        DataSize size = route.size("max_message_size", WebSocketConfig.DEFAULT_MAX_MESSAGE_SIZE);
        if (size.bytes() < 125 || size.bytes() > Integer.MAX_VALUE) {
            route.error("max_message_size", size.toString(), "between 125B and 2GiB");
        }
        return Optional.of(new WebSocketConfig(size,
                route.positiveDuration("idle_timeout", WebSocketConfig.DEFAULT_IDLE_TIMEOUT),
                route.positiveDuration("max_session", WebSocketConfig.DEFAULT_MAX_SESSION)));
    }

    /** {@code fallback: [names]}, its {@code model_map} and {@code fallback_on}. */
    private static Optional<FallbackConfig> fallback(ConfigNode route, String own, Set<String> upstreams) {
        if (!route.has("fallback")) {
            if (route.has("model_map") || route.has("fallback_on")) {
                route.error(route.has("model_map") ? "model_map" : "fallback_on", "",
                        "a fallback: list of upstreams to go with it");
            }
            return Optional.empty();
        }
        List<String> names = route.strings("fallback", List.of());
        Set<String> seen = new HashSet<>(Set.of(own));
        for (String name : names) {
            if (!upstreams.contains(name)) {
                route.error("fallback", name, "one of " + String.join(", ", upstreams));
            } else if (!seen.add(name)) {
                route.error("fallback", name, "an upstream not named before on this route (" + own + " is its own)");
            }
        }
        if (names.isEmpty()) {
            route.error("fallback", "[]", "at least one upstream");
        }
        Map<String, Map<String, String>> modelMap = new LinkedHashMap<>();
        ConfigNode mapNode = route.child("model_map");
        for (String upstream : mapNode.keys()) {
            if (!names.contains(upstream)) {
                mapNode.error(upstream, upstream, "one of this route's fallback upstreams " + names);
            }
            modelMap.put(upstream, mapNode.stringMap(upstream));
        }
        Set<FallbackConfig.Trigger> on = EnumSet.noneOf(FallbackConfig.Trigger.class);
        List<String> all = Arrays.stream(FallbackConfig.Trigger.values()).map(FallbackConfig.Trigger::key)
                .toList();
        List<String> keys = route.strings("fallback_on", all);
        for (String key : keys) {
            FallbackConfig.Trigger.of(key).ifPresentOrElse(on::add,
                    () -> route.error("fallback_on", key, "some of " + String.join(", ", all)));
        }
        if (keys.isEmpty()) {
            route.error("fallback_on", "[]", "at least one of " + String.join(", ", all));
        }
        return Optional.of(new FallbackConfig(names, modelMap, on));
    }

    private static Optional<RouteCacheConfig> routeCache(ConfigNode route) {
        if (!route.has("cache")) {
            return Optional.empty();
        }
        ConfigNode n = route.child("cache");
        List<String> methods = n.strings("methods", List.of("GET", "HEAD")).stream()
                .map(m -> m.toUpperCase(Locale.ROOT)).toList();
        methods.stream().filter(m -> !CACHEABLE_METHODS.contains(m))
                .forEach(m -> n.error("methods", m, "GET, HEAD or POST"));
        RouteCacheConfig cache = new RouteCacheConfig(n.duration("ttl", Duration.ofMinutes(10)), methods,
                n.duration("stale_while_revalidate", Duration.ZERO), n.duration("stale_if_error", Duration.ZERO));
        n.rejectUnknownKeys();
        return Optional.of(cache);
    }

    private static boolean validName(ConfigNode section, String name) {
        if (NAME.matcher(name).matches()) {
            return true;
        }
        section.error(name, name, "a name of letters, digits, '-' and '_'");
        return false;
    }
}
