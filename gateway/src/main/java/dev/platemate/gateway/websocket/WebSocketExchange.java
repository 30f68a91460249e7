package dev.platemate.gateway.websocket;

import dev.platemate.gateway.auth.NoToken;
import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.limiter.SlotListener;
import dev.platemate.gateway.limiter.Ticket;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.resilience.Failures;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.LocalExchange;
import dev.platemate.gateway.server.Responses;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A WebSocket handshake on a {@code websocket: true} route, up to the session it opens: checked (400, 426), then
 * its turn in the route's limiter (the slot is the session's for its life), the upstream's bucket and breaker, its
 * managed token, and its way upstream ({@link UpstreamHandshake}). A 101 that answers it switches both connections
 * to a {@link Session}; any other answer is relayed as it came; no answer is the usual 502/504. Event-loop only.
 */
public final class WebSocketExchange implements Exchange, SlotListener, UpstreamHandshake.Outcome {

    private final ClientSide client;
    private final HttpRequest request;
    private final String upstreamTarget;
    private final WebSocketRoute route;
    private final List<TokenBucket> callerTokens;
    private final String key;
    private final List<String> protocols;
    private final String path;
    private Ticket ticket;
    private Permit permit;
    private long breakerToken = CircuitBreaker.REFUSED;
    private UpstreamHandshake upstream;
    private boolean done;

    private WebSocketExchange(ClientSide client, HttpRequest request, String upstreamTarget, WebSocketRoute route,
                              List<TokenBucket> callerTokens) {
        this.client = client;
        this.request = request;
        this.upstreamTarget = upstreamTarget;
        this.route = route;
        this.callerTokens = callerTokens;
        this.key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY).trim();
        this.protocols = Handshake.protocols(request);
        this.path = pathOf(request.uri());
    }

    /** Whether {@code request} asks to switch to WebSocket (a route with {@code websocket: true} then serves it). */
    public static boolean wanted(HttpRequest request) {
        return Handshake.wanted(request);
    }

    /**
     * Serves a handshake on {@code route}.
     *
     * @param callerTokens the caller's token buckets, which the session's Realtime usage is booked in
     */
    public static Exchange open(ClientSide client, HttpRequest request, String upstreamTarget, WebSocketRoute route,
                                List<TokenBucket> callerTokens) {
        FullHttpResponse refused = Handshake.refusal(request);
        if (refused == null && (HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(
                request))) {
            refused = Responses.error(GatewayError.BAD_REQUEST, "a WebSocket handshake has no body");
        }
        if (refused != null) {
            return LocalExchange.respond(client, refused, refused.status().code() != 400);
        }
        WebSocketExchange exchange = new WebSocketExchange(client, request, upstreamTarget, route, callerTokens);
        exchange.start();
        return exchange;
    }

    private void start() {
        if (route.limiter() == null) {
            admitted();
            return;
        }
        long deadline = route.ticker().read() + route.limiter().config().queueTimeout().toNanos();
        ticket = route.limiter().acquire(client.eventLoop(), this, deadline);
    }

    @Override
    public void onSlot(Permit granted, long waitedNanos) {
        ticket = null;
        if (done) {
            granted.release();
            return;
        }
        permit = granted;
        client.guard(this::admitted).run();
    }

    @Override
    public void onRejected(Rejection rejection, long retryAfterSeconds) {
        ticket = null;
        if (!done) {
            refuse(Responses.error(Failures.errorFor(rejection), Failures.describe(route.limiter().name(),
                    rejection), retryAfterSeconds));
        }
    }

    /** Its slot is had (or none is needed): the token budgets, the upstream's bucket, its breaker, then its token. */
    private void admitted() {
        if (!withinTokenBudgets()) {
            return;
        }
        TokenBucket bucket = route.protection().bucket();
        if (bucket != null) {
            RateLimitDecision decision = bucket.tryTake();
            if (!decision.allowed()) {
                bucket.refused();
                FullHttpResponse refused = Responses.error(GatewayError.RATE_LIMITED, "the rate limit of upstream "
                        + route.pool().name() + " is reached; try again later", decision.retryAfterSeconds());
                decision.addHeaders(refused.headers());
                refuse(refused);
                return;
            }
        }
        CircuitBreaker breaker = route.protection().breaker();
        breakerToken = breaker.tryPass();
        if (breakerToken == CircuitBreaker.REFUSED) {
            refuse(Responses.error(GatewayError.CIRCUIT_OPEN, "upstream " + route.pool().name()
                    + " is failing; its circuit is open", breaker.retryAfterSeconds()));
            return;
        }
        route.rewrite().prepare(request, upstreamTarget, client.remoteAddress());
        Handshake.toUpstream(request, key, protocols);
        if (route.credentials() == null) {
            sendUpstream();
            return;
        }
        CompletableFuture<String> token = route.credentials().token(route.sendWithinNanos());
        if (token.isDone()) {
            withToken(token);
        } else {
            token.whenComplete((value, error) -> client.eventLoop().execute(client.guard(() -> withToken(token))));
        }
    }

    /**
     * A session spends the AI tokens its responses report, in the upstream's {@code token_limit} and the caller's
     * {@code rate_limits} tokens: it opens only while each has some left (this replica's part of it), else 429
     * {@code token_limit}. What it then spends is booked as it goes ({@link #charge}).
     */
    private boolean withinTokenBudgets() {
        TokenBucket upstreamTokens = route.protection().aiTokens();
        for (TokenBucket bucket : callerTokens) {
            if (!hasTokens(bucket, true)) {
                return false;
            }
        }
        return upstreamTokens == null || hasTokens(upstreamTokens, false);
    }

    private boolean hasTokens(TokenBucket bucket, boolean caller) {
        RateLimitDecision decision = bucket.tryTake(1);
        if (decision.allowed()) {
            bucket.adjust(-1);   // only a look: the session's usage is booked as it comes
            return true;
        }
        String message = caller ? "this caller's token limit is reached"
                : "the token limit of this route's upstream is reached";
        FullHttpResponse refused = caller
                ? Responses.callerError(GatewayError.TOKEN_LIMIT, message, decision.retryAfterSeconds())
                : Responses.error(GatewayError.TOKEN_LIMIT, message, decision.retryAfterSeconds());
        decision.addHeaders(refused.headers());
        refuse(refused);
        return false;
    }

    private void withToken(CompletableFuture<String> token) {
        if (done) {
            return;
        }
        if (token.isCompletedExceptionally()) {
            refuse(NoToken.answerFor(token));
            return;
        }
        request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token.join());
        sendUpstream();
    }

    private void sendUpstream() {
        upstream = new UpstreamHandshake(route.pool(), client.eventLoop(), request, this);
        upstream.start();
    }

    @Override
    public void switched(HttpResponse head, UpstreamConnection connection) {
        String wrong = Handshake.wrongSwitch(head, key, protocols);
        if (wrong != null) {
            connection.release(false);
            failed(GatewayError.UPSTREAM_UNAVAILABLE, "upstream " + route.pool().name()
                    + ": its 101 is not a WebSocket handshake's: " + wrong);
            return;
        }
        settleBreaker(true);
        done = true;
        String model = new QueryStringDecoder(upstreamTarget).parameters().getOrDefault("model", List.of()).stream()
                .findFirst().orElse(null);
        Session session = new Session(new Session.Origin(client.remoteAddress(), path, route.prefix(),
                route.pool().name()), route.config(), client.eventLoop(), route.book(), connection, permit,
                new RealtimeUsage(model), this::charge);
        permit = null;   // the session's now: it gives it back when it ends, however it ends
        try {
            Channel upgraded = client.upgrade(Handshake.toClient(head, key), new SideHandler(session, Side.CLIENT));
            if (upgraded == null) {
                session.failed(null);
                client.abort();
                return;
            }
            connection.upgrade(new SideHandler(session, Side.UPSTREAM));
            session.start();
        } catch (RuntimeException cause) {
            session.failed(cause);   // both connections closed, the connection and the slot given back
            throw cause;
        }
    }

    /** Books the tokens of one Realtime response in the upstream's and the caller's token buckets. */
    private void charge(TokenUsage used) {
        long tokens = used.prompt() + used.completion();
        TokenBucket upstreamTokens = route.protection().aiTokens();
        if (upstreamTokens != null) {
            upstreamTokens.adjust(tokens);
        }
        callerTokens.forEach(bucket -> bucket.adjust(tokens));
    }

    @Override
    public void refused(FullHttpResponse answer) {
        settleBreaker(answer.status().code() < 500);   // as for HTTP: a 5xx is the upstream failing
        refuse(answer);
    }

    @Override
    public void failed(GatewayError error, String message) {
        settleBreaker(false);
        refuse(Responses.error(error, message));
    }

    @Override
    public void crashed(Throwable cause) {
        client.fail(cause);
    }

    private void settleBreaker(boolean answered) {
        if (breakerToken != CircuitBreaker.REFUSED) {
            if (answered) {
                route.protection().breaker().onSuccess(breakerToken);
            } else {
                route.protection().breaker().onFailure(breakerToken);
            }
            breakerToken = CircuitBreaker.REFUSED;
        }
    }

    @Override
    public void onRequestContent(HttpContent content) {
        content.release();   // a handshake has none (one that says it has is refused)
    }

    @Override
    public void abort(GatewayError error, String message) {
        refuse(Responses.error(error, message));
    }

    @Override
    public void onClientWritabilityChanged() {
    }

    @Override
    public void onClientClosed() {
        if (!done) {
            done = true;
            release();
        }
    }

    /** Ends the handshake with an answer for the client. */
    private void refuse(FullHttpResponse response) {
        if (done) {
            response.release();
            return;
        }
        done = true;
        release();
        client.respond(response, true);
    }

    /** Lets go of everything the handshake holds: its place or slot, its breaker pass, its way upstream. */
    private void release() {
        if (ticket != null) {
            ticket.cancel();
            ticket = null;
        }
        releasePermit();
        if (breakerToken != CircuitBreaker.REFUSED) {
            route.protection().breaker().onAbandoned(breakerToken);
            breakerToken = CircuitBreaker.REFUSED;
        }
        if (upstream != null) {
            upstream.cancel();
        }
    }

    private void releasePermit() {
        if (permit != null) {
            permit.release();
            permit = null;
        }
    }

    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }
}
