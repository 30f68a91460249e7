package dev.platemate.gateway.proxy;

import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.route.Router;
import dev.platemate.gateway.server.Backstop;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.LocalEndpoints;
import dev.platemate.gateway.server.LocalExchange;
import dev.platemate.gateway.server.RequestDispatcher;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends each request where it belongs: the gateway's own endpoints, a configured route, or an error. Nothing
 * but a configured route is ever proxied: not the Host header, not an absolute URI, not CONNECT.
 */
public final class GatewayDispatcher implements RequestDispatcher {

    /** What one config says about where requests go; replaced whole when the config is reloaded. */
    public record Routes(Router router, Proxy proxy, CallerRateLimits callerLimits) {
    }

    private final LocalEndpoints endpoints;
    private volatile Routes routes;

    public GatewayDispatcher(LocalEndpoints endpoints, Routes routes) {
        this.endpoints = endpoints;
        this.routes = routes;
    }

    /**
     * Requests dispatched from now on use {@code next}; those already dispatched finish with what they started
     * with. Any thread.
     */
    public void swap(Routes next) {
        routes = next;
    }

    @Override
    public Backstop backstop() {
        return routes.proxy().backstop();
    }

    @Override
    public Exchange dispatch(HttpRequest request, ClientSide client) {
        Routes current = routes;
        if (HttpMethod.CONNECT.equals(request.method())) {
            return error(client, GatewayError.METHOD_NOT_ALLOWED, "CONNECT is not served: this is not an open proxy");
        }
        RequestTarget.Parsed parsed = RequestTarget.parse(request.uri(), request.headers().get(HttpHeaderNames.HOST));
        if (parsed instanceof RequestTarget.Invalid invalid) {
            return error(client, GatewayError.BAD_REQUEST, invalid.reason());
        }
        if (parsed instanceof RequestTarget.ForeignHost foreign) {
            return error(client, GatewayError.NO_ROUTE, "no route for host " + foreign.authority());
        }
        RequestTarget target = ((RequestTarget.Valid) parsed).target();
        if (endpoints.owns(target.path())) {
            return LocalExchange.respond(client, endpoints.handle(request, target.path()), true);
        }
        Route route = current.router().match(target.path());
        if (route == null) {
            return error(client, GatewayError.NO_ROUTE, "no route for " + target.path());
        }
        client.routed(route.prefix(), route.upstream());
        current.proxy().parts().probe().at(Probe.Stage.ROUTE);
        if (!current.callerLimits().enabled()) {
            return current.proxy().start(request, route, target, client);
        }
        CompletableFuture<RateLimitDecision> check = current.callerLimits().check(request.headers(),
                client.remoteAddress());
        if (check.isDone()) {
            return admitted(check.join(), current, request, route, target, client);
        }
        return CheckedExchange.after(check, client, decision -> admitted(decision, current, request, route, target,
                client));
    }

    /** The request goes on, or, when its caller is over a limit, is answered 429. */
    private static Exchange admitted(RateLimitDecision decision, Routes current, HttpRequest request, Route route,
                                     RequestTarget target, ClientSide client) {
        if (decision != null && !decision.allowed()) {
            FullHttpResponse refused = Responses.callerError(GatewayError.RATE_LIMITED,
                    "too many requests from this caller; try again later", decision.retryAfterSeconds());
            decision.addHeaders(refused.headers());
            return LocalExchange.respond(client, refused, true);
        }
        current.proxy().parts().probe().at(Probe.Stage.RATE_LIMIT);
        List<TokenBucket> callerTokens = List.of();
        if (route.config().ai().isPresent() || route.config().websocket().isPresent()) {   // tokens are booked
            callerTokens = current.callerLimits().tokenBuckets(request.headers(), client.remoteAddress());
            client.identified(current.callerLimits().callerName(request.headers(), client.remoteAddress()));
        }
        return current.proxy().start(request, route, target, client, callerTokens);
    }

    private static Exchange error(ClientSide client, GatewayError error, String message) {
        return LocalExchange.respond(client, Responses.error(error, message), error != GatewayError.BAD_REQUEST);
    }
}
