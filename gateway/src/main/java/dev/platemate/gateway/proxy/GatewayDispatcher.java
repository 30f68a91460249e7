package dev.platemate.gateway.proxy;

import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.route.Router;
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

/**
 * Sends each request where it belongs: the gateway's own endpoints, a configured route, or an error. Nothing
 * but a configured route is ever proxied: not the Host header, not an absolute URI, not CONNECT.
 */
public final class GatewayDispatcher implements RequestDispatcher {

    private final Router router;
    private final LocalEndpoints endpoints;
    private final CallerRateLimits callerLimits;
    private final Proxy proxy;

    public GatewayDispatcher(Router router, LocalEndpoints endpoints, CallerRateLimits callerLimits, Proxy proxy) {
        this.router = router;
        this.endpoints = endpoints;
        this.callerLimits = callerLimits;
        this.proxy = proxy;
    }

    @Override
    public Exchange dispatch(HttpRequest request, ClientSide client) {
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
        Route route = router.match(target.path());
        if (route == null) {
            return error(client, GatewayError.NO_ROUTE, "no route for " + target.path());
        }
        if (callerLimits.enabled()) {
            RateLimitDecision decision = callerLimits.check(request.headers(), client.remoteAddress());
            if (!decision.allowed()) {
                FullHttpResponse refused = Responses.error(GatewayError.RATE_LIMITED,
                        "too many requests from this caller; try again later", decision.retryAfterSeconds());
                decision.addHeaders(refused.headers());
                return LocalExchange.respond(client, refused, true);
            }
        }
        return proxy.start(request, route, target, client);
    }

    private static Exchange error(ClientSide client, GatewayError error, String message) {
        return LocalExchange.respond(client, Responses.error(error, message), error != GatewayError.BAD_REQUEST);
    }
}
