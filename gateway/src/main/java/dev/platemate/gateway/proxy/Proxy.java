package dev.platemate.gateway.proxy;

import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts proxied exchanges: one per routed request, on the upstream pool its route names. */
public final class Proxy {

    private final Map<String, UpstreamPool> pools;
    private final Map<String, HeaderRewriter> rewriters = new HashMap<>();

    public Proxy(Map<String, UpstreamPool> pools, List<Cidr> trustedProxies) {
        this.pools = Map.copyOf(pools);
        pools.forEach((name, pool) -> rewriters.put(name, new HeaderRewriter(pool.config(), trustedProxies)));
    }

    /** Rewrites {@code request} for its upstream and starts sending it. Event-loop only. */
    Exchange start(HttpRequest request, Route route, RequestTarget target, ClientSide client) {
        HttpVersion clientVersion = request.protocolVersion();
        HeaderRewriter rewriter = rewriters.get(route.upstream());
        rewriter.prepareRequest(request, route.upstreamTarget(target.path(), target.query()), client.remoteAddress());
        ProxyExchange exchange = new ProxyExchange(client, pools.get(route.upstream()), rewriter, request,
                clientVersion);
        exchange.start();
        return exchange;
    }
}
