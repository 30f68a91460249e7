package dev.platemate.gateway.proxy;

import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.RouteConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts proxied exchanges: one per routed request, on the upstream pool and limiter its route names. */
public final class Proxy {

    private final Map<String, ProxyTarget> byRoutePrefix = new HashMap<>();

    /**
     * @param limiters by name; routes name theirs
     * @param ticker   measures queue deadlines
     */
    public Proxy(List<RouteConfig> routes, Map<String, UpstreamPool> pools, Map<String, Limiter> limiters,
                 List<Cidr> trustedProxies, Ticker ticker) {
        Map<String, HeaderRewriter> rewriters = new HashMap<>();
        pools.forEach((name, pool) -> rewriters.put(name, new HeaderRewriter(pool.config(), trustedProxies)));
        for (RouteConfig route : routes) {
            Limiter limiter = route.limiter().map(limiters::get).orElse(null);
            byRoutePrefix.put(route.path(), new ProxyTarget(pools.get(route.upstream()),
                    rewriters.get(route.upstream()), limiter, ticker));
        }
    }

    /** Rewrites {@code request} for its upstream and starts serving it. Event-loop only. */
    Exchange start(HttpRequest request, Route route, RequestTarget target, ClientSide client) {
        ProxyTarget proxyTarget = byRoutePrefix.get(route.prefix());
        HttpVersion clientVersion = request.protocolVersion();
        proxyTarget.rewriter().prepareRequest(request, route.upstreamTarget(target.path(), target.query()),
                client.remoteAddress());
        ProxyExchange exchange = new ProxyExchange(client, proxyTarget, request, clientVersion);
        exchange.start();
        return exchange;
    }
}
