package dev.platemate.gateway.proxy;

import dev.platemate.gateway.ai.AiExchange;
import dev.platemate.gateway.ai.TokenBudget;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.config.AiRouteConfig;
import dev.platemate.gateway.config.CacheConfig;
import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.RouteConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.resilience.Backoff;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.server.Backstop;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Starts proxied exchanges: one per routed request, on the upstream pool, limiter and cache its route names.
 */
public final class Proxy {

    private final Parts parts;
    private final Map<String, ProxyTarget> targets = new HashMap<>();
    private final Map<String, CachingExchange.CachedRoute> cachedRoutes = new HashMap<>();
    private final Backstop backstop;

    /** Everything routes may use, by name. */
    public record Parts(Map<String, UpstreamPool> pools, Map<String, UpstreamProtection> protections,
                        Map<String, Limiter> limiters, ResponseCache cache, Fills fills, CacheConfig cacheConfig,
                        List<Cidr> trustedProxies, Ticker ticker, Probe probe) {
    }

    public Proxy(List<RouteConfig> routes, Parts parts) {
        this.parts = parts;
        Map<String, HeaderRewriter> rewriters = new HashMap<>();
        parts.pools().forEach((name, pool) -> rewriters.put(name,
                new HeaderRewriter(pool.config(), parts.trustedProxies())));
        for (RouteConfig route : routes) {
            UpstreamPool pool = parts.pools().get(route.upstream());
            Limiter limiter = route.limiter().map(parts.limiters()::get).orElse(null);
            targets.put(route.path(), new ProxyTarget(pool, rewriters.get(route.upstream()), limiter,
                    parts.protections().get(route.upstream()), parts.ticker(), parts.probe()));
            route.cache().ifPresent(cache -> cachedRoutes.put(route.path(), new CachingExchange.CachedRoute(
                    parts.cache(), parts.fills(), cache, parts.cacheConfig().maxEntrySize().bytes(), route.path(),
                    route.upstream(), origin(pool.config()), pool.config().responseTimeout().toNanos(),
                    parts.probe())));
        }
        this.backstop = backstopFor(routes, parts);
    }

    /**
     * The backstop bounds for these routes: the longest any of them may wait before its response makes progress,
     * every attempt counted, and the longest upstream silence, each with {@link Backstop#MARGIN}.
     */
    private static Backstop backstopFor(List<RouteConfig> routes, Parts parts) {
        Duration longestWait = Duration.ZERO;
        Duration longestIdle = Duration.ZERO;
        for (RouteConfig route : routes) {
            UpstreamConfig upstream = parts.pools().get(route.upstream()).config();
            Duration attempt = upstream.connectTimeout().multipliedBy(2) // waiting for a pooled one, then connecting
                    .plus(upstream.responseTimeout()).plus(Attempts.MAX_HONOURED_WAIT).plus(Backoff.MAX);
            Duration queue = route.limiter().map(name -> parts.limiters().get(name).config().queueTimeout())
                    .orElse(Duration.ZERO);
            boolean waitsForTokens = route.ai().isPresent() && upstream.tokenLimit().isPresent();
            Duration wait = attempt.multipliedBy(upstream.retries() + 2L) // and once more for a stale connection
                    .plus(upstream.rateLimit().map(limit -> limit.maxWait()).orElse(Duration.ZERO))
                    .plus(queue).plus(waitsForTokens ? queue : Duration.ZERO) // its tokens, then its slot
                    .plus(route.cache().isPresent() ? upstream.responseTimeout() : Duration.ZERO); // a fill's wait
            longestWait = max(longestWait, wait);
            longestIdle = max(longestIdle, upstream.idleTimeout());
        }
        return new Backstop(longestWait.plus(Backstop.MARGIN).toNanos(), longestIdle.plus(Backstop.MARGIN).toNanos());
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The bounds the connection holds this proxy's exchanges to. */
    Backstop backstop() {
        return backstop;
    }

    /** What this proxy's routes use. */
    public Parts parts() {
        return parts;
    }

    /** The upstream's scheme, host and port, for same-origin checks. */
    private static URI origin(UpstreamConfig upstream) {
        try {
            return new URI(upstream.scheme(), null, upstream.host(), upstream.port(), "/", null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("upstream " + upstream.name() + " has no valid origin", e);
        }
    }

    /** Starts serving {@code request} on {@code route}. Event-loop only. */
    Exchange start(HttpRequest request, Route route, RequestTarget target, ClientSide client) {
        return start(request, route, target, client, List.of());
    }

    /** @param callerTokens the caller's token buckets (its {@code rate_limits} with tokens), for an AI route */
    Exchange start(HttpRequest request, Route route, RequestTarget target, ClientSide client,
                   List<TokenBucket> callerTokens) {
        String upstreamTarget = route.upstreamTarget(target.path(), target.query());
        Optional<AiRouteConfig> ai = route.config().ai();
        if (ai.isPresent() && HttpMethod.POST.equals(request.method())) {
            return AiExchange.open(client, request, ai.get(),
                    (req, metered) -> serve(req, route, upstreamTarget, client, metered), budget(route, callerTokens));
        }
        return serve(request, route, upstreamTarget, client, null);
    }

    /** The token limits an AI request on the route meets: waited for on a limited route, else not; or null. */
    private TokenBudget budget(Route route, List<TokenBucket> callerTokens) {
        ProxyTarget target = targets.get(route.prefix());
        TokenBucket upstream = target.protection().aiTokens();
        if (upstream == null && callerTokens.isEmpty()) {
            return null;
        }
        return new TokenBudget(upstream, callerTokens,
                target.limited() ? target.limiter().config().queueTimeout() : Duration.ZERO);
    }

    /**
     * @param metered wraps the client side the upstream answers to (a usage meter; the plain-bytes path is then
     *                off, as the meter reads objects), or null
     */
    private Exchange serve(HttpRequest request, Route route, String upstreamTarget, ClientSide client,
                           UnaryOperator<ClientSide> metered) {
        ProxyTarget proxyTarget = targets.get(route.prefix());
        UnaryOperator<ClientSide> around = metered == null ? UnaryOperator.identity() : metered;
        CachingExchange.CachedRoute cached = cachedRoutes.get(route.prefix());
        if (cached != null) {
            return new CachingExchange(client, request, upstreamTarget, cached,
                    (req, to) -> open(proxyTarget, req, upstreamTarget, around.apply(to), false));
        }
        return open(proxyTarget, request, upstreamTarget, around.apply(client), metered == null);
    }

    /** @param plainAllowed whether {@code client} takes plain responses as bytes; a cache fill reads objects */
    private static ProxyExchange open(ProxyTarget target, HttpRequest request, String upstreamTarget,
                                      ClientSide client, boolean plainAllowed) {
        HttpVersion clientVersion = request.protocolVersion();
        target.rewriter().prepareRequest(request, upstreamTarget, client.remoteAddress());
        ProxyExchange exchange = new ProxyExchange(client, target, request, clientVersion, plainAllowed);
        exchange.start();
        return exchange;
    }
}
