package dev.platemate.gateway.proxy;

import dev.platemate.gateway.ai.AiExchange;
import dev.platemate.gateway.ai.TokenBudget;
import dev.platemate.gateway.auth.AuthorizedExchange;
import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.config.AiRouteConfig;
import dev.platemate.gateway.config.CacheConfig;
import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.FallbackConfig;
import dev.platemate.gateway.config.RouteConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.fallback.FallbackExchange;
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
import dev.platemate.gateway.websocket.SessionBook;
import dev.platemate.gateway.websocket.WebSocketExchange;
import dev.platemate.gateway.websocket.WebSocketRoute;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Starts proxied exchanges: one per routed request, on the upstream pool, limiter and cache its route names.
 */
public final class Proxy {

    /** What waiting for a token adds to the token request itself: the shared store's answers (see SharedFetch). */
    private static final Duration TOKEN_WAIT = Duration.ofSeconds(3);

    private final Parts parts;
    /** Per route prefix, per upstream (its own first, then its fallbacks): what an attempt there uses. */
    private final Map<String, Map<String, Leg>> legs = new HashMap<>();
    private final Backstop backstop;

    /** Everything routes may use, by name. */
    public record Parts(Map<String, UpstreamPool> pools, Map<String, UpstreamProtection> protections,
                        Map<String, TokenSource> credentials, Map<String, Limiter> limiters, ResponseCache cache,
                        Fills fills, CacheConfig cacheConfig, List<Cidr> trustedProxies, Ticker ticker,
                        SessionBook sessions, Probe probe) {
    }

    /**
     * What a route's attempt on one upstream uses: its target, its cache when the route has one (or null), and its
     * WebSocket sessions' when it has {@code websocket: true} (or null).
     */
    private record Leg(ProxyTarget target, CachingExchange.CachedRoute cached, Optional<String> limiter,
                       WebSocketRoute websocket) {
    }

    public Proxy(List<RouteConfig> routes, Parts parts) {
        this.parts = parts;
        Map<String, HeaderRewriter> rewriters = new HashMap<>();
        parts.pools().forEach((name, pool) -> rewriters.put(name,
                new HeaderRewriter(pool.config(), parts.trustedProxies())));
        Map<String, Optional<String>> limiterOf = new HashMap<>();   // a fallback waits where the upstream's routes do
        routes.forEach(route -> route.limiter().ifPresent(name -> limiterOf.putIfAbsent(route.upstream(),
                Optional.of(name))));
        for (RouteConfig route : routes) {
            Map<String, Leg> byUpstream = new LinkedHashMap<>();
            for (String upstream : upstreamsOf(route)) {
                Optional<String> limiterName = upstream.equals(route.upstream()) ? route.limiter()
                        : limiterOf.getOrDefault(upstream, Optional.empty());
                UpstreamPool pool = parts.pools().get(upstream);
                ProxyTarget target = new ProxyTarget(pool, rewriters.get(upstream),
                        limiterName.map(parts.limiters()::get).orElse(null), parts.protections().get(upstream),
                        parts.credentials().get(upstream), parts.ticker(), parts.probe());
                CachingExchange.CachedRoute cached = route.cache().map(cache -> new CachingExchange.CachedRoute(
                        parts.cache(), parts.fills(), cache, parts.cacheConfig().maxEntrySize().bytes(), route.path(),
                        upstream, origin(pool.config()), pool.config().responseTimeout().toNanos(), parts.probe()))
                        .orElse(null);
                WebSocketRoute websocket = route.websocket().map(limits -> new WebSocketRoute(route.path(), limits,
                        pool, target.rewriter()::rewriteRequestHeaders, target.protection(), target.credentials(),
                        target.sendWithinNanos(), target.limiter(), parts.sessions(), parts.ticker())).orElse(null);
                byUpstream.put(upstream, new Leg(target, cached, limiterName, websocket));
            }
            legs.put(route.path(), byUpstream);
        }
        this.backstop = backstopFor(routes, parts);
    }

    /** The route's own upstream, then those it falls back to, in order. */
    private static List<String> upstreamsOf(RouteConfig route) {
        List<String> upstreams = new ArrayList<>();
        upstreams.add(route.upstream());
        route.fallback().ifPresent(fallback -> upstreams.addAll(fallback.upstreams()));
        return upstreams;
    }

    /**
     * The backstop bounds for these routes: the longest any of them may wait before its response makes progress,
     * every attempt on every upstream it may try counted, and the longest upstream silence, each with
     * {@link Backstop#MARGIN}.
     */
    private Backstop backstopFor(List<RouteConfig> routes, Parts parts) {
        Duration longestWait = Duration.ZERO;
        Duration longestIdle = Duration.ZERO;
        for (RouteConfig route : routes) {
            Duration wait = Duration.ZERO;
            for (Leg leg : legs.get(route.path()).values()) {
                wait = wait.plus(waitOn(route, leg, parts));
                longestIdle = max(longestIdle, leg.target().pool().config().idleTimeout());
            }
            longestWait = max(longestWait, wait);
        }
        return new Backstop(longestWait.plus(Backstop.MARGIN).toNanos(), longestIdle.plus(Backstop.MARGIN).toNanos());
    }

    /** The longest a request of {@code route} may wait on one upstream before its response makes progress. */
    private static Duration waitOn(RouteConfig route, Leg leg, Parts parts) {
        UpstreamConfig upstream = leg.target().pool().config();
        Duration attempt = upstream.connectTimeout().multipliedBy(2) // waiting for a pooled one, then connecting
                .plus(upstream.responseTimeout()).plus(Attempts.MAX_HONOURED_WAIT).plus(Backoff.MAX);
        Duration queue = leg.limiter().map(name -> parts.limiters().get(name).config().queueTimeout())
                .orElse(Duration.ZERO);
        boolean waitsForTokens = route.ai().isPresent() && upstream.tokenLimit().isPresent();
        return attempt.multipliedBy(upstream.retries() + 2L) // and once more for a stale connection
                .plus(upstream.rateLimit().map(limit -> limit.maxWait()).orElse(Duration.ZERO))
                .plus(queue).plus(waitsForTokens ? queue : Duration.ZERO) // its tokens, then its slot
                .plus(route.cache().isPresent() ? upstream.responseTimeout() : Duration.ZERO) // a fill's wait
                .multipliedBy(upstream.auth().isPresent() ? 2 : 1)   // sent again after a 401
                .plus(upstream.auth().isPresent() ? TOKEN_WAIT.plus(upstream.connectTimeout())
                        .plus(upstream.responseTimeout()).multipliedBy(2) : Duration.ZERO);   // and its tokens
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

    /**
     * @param callerTokens the caller's token buckets (its {@code rate_limits} with tokens), for an AI route
     */
    Exchange start(HttpRequest request, Route route, RequestTarget target, ClientSide client,
                   List<TokenBucket> callerTokens) {
        Map<String, Leg> byUpstream = legs.get(route.prefix());
        Leg own = byUpstream.get(route.upstream());
        if (own.websocket() != null && WebSocketExchange.wanted(request)) {
            return WebSocketExchange.open(client, request, route.upstreamTarget(own.target().pool().config()
                    .basePath(), target.path(), target.query()), own.websocket(), callerTokens);
        }
        Optional<FallbackConfig> fallback = route.config().fallback();
        if (fallback.isEmpty()) {
            return attempt(request, route, target, byUpstream.get(route.upstream()), client, callerTokens, true);
        }
        return FallbackExchange.open(client, request, route.prefix(), upstreamsOf(route.config()), fallback.get(),
                (upstream, copy, side) -> attempt(copy, route, target, byUpstream.get(upstream), side, callerTokens,
                        false));
    }

    /**
     * Serves the request on one upstream, through the stages its route has: the AI meter and budget, the cache.
     *
     * @param plainAllowed whether the answer may be relayed as bytes (not to a stage that reads its head)
     */
    private Exchange attempt(HttpRequest request, Route route, RequestTarget target, Leg leg, ClientSide client,
                             List<TokenBucket> callerTokens, boolean plainAllowed) {
        String upstreamTarget = route.upstreamTarget(leg.target().pool().config().basePath(), target.path(),
                target.query());
        Optional<AiRouteConfig> ai = route.config().ai();
        if (ai.isPresent() && HttpMethod.POST.equals(request.method())) {
            return AiExchange.open(client, request, ai.get(),
                    (req, metered) -> serve(req, leg, upstreamTarget, client, metered, false),
                    budget(leg.target(), callerTokens));
        }
        return serve(request, leg, upstreamTarget, client, UnaryOperator.identity(), plainAllowed);
    }

    /** The token limits an AI request on the upstream meets: waited for on a limited route, else not; or null. */
    private static TokenBudget budget(ProxyTarget target, List<TokenBucket> callerTokens) {
        TokenBucket upstream = target.protection().aiTokens();
        if (upstream == null && callerTokens.isEmpty()) {
            return null;
        }
        return new TokenBudget(upstream, callerTokens, target.limiter());
    }

    /**
     * @param metered wraps the client side the upstream answers to (a usage meter; the plain-bytes path is then
     *                off, as the meter reads objects)
     */
    private static Exchange serve(HttpRequest request, Leg leg, String upstreamTarget, ClientSide client,
                                  UnaryOperator<ClientSide> metered, boolean plainAllowed) {
        if (leg.cached() != null) {
            return new CachingExchange(client, request, upstreamTarget, leg.cached(),
                    (req, to) -> open(leg.target(), req, upstreamTarget, metered.apply(to), false));
        }
        return open(leg.target(), request, upstreamTarget, metered.apply(client), plainAllowed);
    }

    /**
     * The exchange that sends the request upstream, behind the stage that puts the upstream's managed token on it
     * when it has one.
     *
     * @param plainAllowed whether {@code client} takes plain responses as bytes; a cache fill reads objects
     */
    private static Exchange open(ProxyTarget target, HttpRequest request, String upstreamTarget, ClientSide client,
                                 boolean plainAllowed) {
        if (target.credentials() != null) {
            return new AuthorizedExchange(client, request, target.credentials(), target.sendWithinNanos(),
                    (copy, side) -> send(target, copy, upstreamTarget, side, false));
        }
        return send(target, request, upstreamTarget, client, plainAllowed);
    }

    private static ProxyExchange send(ProxyTarget target, HttpRequest request, String upstreamTarget,
                                      ClientSide client, boolean plainAllowed) {
        HttpVersion clientVersion = request.protocolVersion();
        target.rewriter().prepareRequest(request, upstreamTarget, client.remoteAddress());
        ProxyExchange exchange = new ProxyExchange(client, target, request, clientVersion, plainAllowed);
        exchange.start();
        return exchange;
    }
}
