package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.resilience.Failures;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import java.time.Duration;
import java.time.ZonedDateTime;

/**
 * One proxied request, through the phases of {@link Phase}. On a limited route it first waits, with its whole
 * body, for a slot ({@link LimiterTurn}); each attempt is admitted by the breaker and the bucket
 * ({@link Attempts}). Its {@link UpstreamLeg} takes an upstream connection on the client's own event loop and
 * streams the request body up, while {@link ResponseRelay} brings the response down; the connection goes back
 * only when the response was read completely and neither side said close. Every path ends in exactly one of: the
 * upstream's response, a JSON error (if no response byte reached the client yet), or a cut client connection;
 * and every path gives back the slot, the connection and the buffers it held. Event-loop only.
 */
final class ProxyExchange implements Exchange, UpstreamListener, FutureListener<UpstreamConnection>,
        ResponseRelay.Owner, LimiterTurn.Waiter {

    /** Where the exchange is; it only moves forward, but for a retry, which goes back to admission. */
    private enum Phase {
        /** The body is arriving, or it is queued for a slot, or the breaker and the bucket are asked. */
        ADMITTING,
        /** A connection is being leased. */
        CONNECTING,
        /** The request went out on a connection: its response is awaited, held or relayed. */
        EXCHANGING,
        /** Answered, cut, or its client left: everything it held is given back. */
        ENDED
    }

    private final ClientSide client;
    private final ProxyTarget target;
    private final HttpRequest request;
    private final RequestBody body;
    private final UpstreamLeg upstream;
    private final Attempts attempts;
    private final LimiterTurn turn;
    private final ResponseRelay relay;
    private final boolean plain;
    private final boolean headRequest;
    private Phase phase = Phase.ADMITTING;
    private boolean requestComplete;

    /**
     * @param plainAllowed whether {@code client} takes plain responses relayed as bytes ({@code WireBytes}); a
     *                     response is taken plain only on a route without a limiter, for an HTTP/1.1 client
     */
    ProxyExchange(ClientSide client, ProxyTarget target, HttpRequest request, HttpVersion clientVersion,
                  boolean plainAllowed) {
        this.client = client;
        this.target = target;
        this.request = request;
        this.body = new RequestBody(target.limited());
        this.attempts = new Attempts(target.protection(), target.pool().name(), client.eventLoop(), request.method());
        this.turn = LimiterTurn.of(target, client.eventLoop(), attempts, this);
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.relay = new ResponseRelay(client, target.rewriter(), headRequest, clientVersion, this, turn,
                target.probe());
        this.plain = plainAllowed && !turn.limited() && clientVersion.equals(HttpVersion.HTTP_1_1);
        this.upstream = new UpstreamLeg(target.pool(), client.eventLoop(), body, this::responseTimedOut);
    }

    /** Unlimited requests go upstream at once; limited ones queue once their body is complete. */
    void start() {
        turn.start();
    }

    /** The breaker and the bucket let the attempt through. */
    @Override
    public void admitted() {
        if (phase != Phase.ENDED) {
            guarded(() -> {
                phase = Phase.CONNECTING;
                upstream.acquire(false, this);
            });
        }
    }

    @Override
    public void refused(FullHttpResponse refusal) {
        if (phase == Phase.ENDED) {
            refusal.release();
        } else {
            guarded(() -> fail(refusal));
        }
    }

    @Override
    public boolean waitForTokenInQueue(Duration wait) {
        return turn.waitForToken(wait);
    }

    @Override
    public void queueRefused(Rejection rejection, long retryAfterSeconds) {
        fail(Failures.errorFor(rejection), Failures.describe(target.limiter().name(), rejection), retryAfterSeconds);
    }

    /** The upstream connection arrived, or could not be had. */
    @Override
    public void operationComplete(Future<UpstreamConnection> future) {
        guarded(() -> connectionArrived(future));
    }

    private void connectionArrived(Future<UpstreamConnection> future) {
        upstream.acquired();
        if (phase == Phase.ENDED) {
            if (future.isSuccess()) {
                future.getNow().release(true); // nothing was sent on it
            }
            return;
        }
        if (!future.isSuccess()) {
            if (attempts.retryAfterConnectFailure(future.cause(), this)) {
                phase = Phase.ADMITTING;
                return;
            }
            fail(Failures.errorFor(future.cause()), Failures.describe(target.pool().name(), future.cause()), 1);
            return;
        }
        UpstreamConnection leased = future.getNow();
        upstream.take(leased, this, plain, headRequest);
        phase = Phase.EXCHANGING;
        target.probe().at(Probe.Stage.UPSTREAM_CONNECT);
        boolean mayGoStale = leased.reused() && upstream.mayRetryOnFresh();
        body.keepCopies(turn.limited() || attempts.mayResendAfterSending() || mayGoStale);
        relay.requestSent();
        boolean writable = upstream.send(request);
        target.probe().at(Probe.Stage.REQUEST_WRITE);
        if (requestComplete) {
            armResponseTimer();
        }
        client.suspendReading(!requestComplete && !writable);
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (phase == Phase.ENDED) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (!upstream.connected()) {
            if (body.hold(content)) {
                client.suspendReading(true); // enough waits; the rest stays in the socket
            }
        } else if (!upstream.sendPart(content)) {
            client.suspendReading(true);
        }
        if (last) {
            requestComplete = true;
            if (upstream.connected()) {
                armResponseTimer();
            } else {
                turn.bodyComplete();
            }
        }
    }

    @Override
    public void onResponsePart(HttpObject part) {
        if (phase == Phase.ENDED) {
            ReferenceCountUtil.release(part);
        } else {
            relay.part(part);
        }
    }

    @Override
    public HeldResponses.Kind screen(HttpResponse response) {
        upstream.responseBegan();
        int status = response.status().code();
        attempts.verdict(status < 500);
        turn.answered(status);
        if (status >= 502 && status <= 504 && attempts.tryRetryResponse(status, body.canResend(),
                AbsorbedResponse.retryAfter(response.headers(), ZonedDateTime.now(), Duration.ZERO))) {
            return HeldResponses.Kind.RETRY;
        }
        if (body.canResend() && turn.absorbs(response)) {
            return HeldResponses.Kind.PROVIDER_429;
        }
        body.release(); // the response has begun: the request will not be sent again
        return null;
    }

    @Override
    public void plainBegins() {
        upstream.responseBegan();
        attempts.verdict(true);
        body.release(); // the response has begun: the request will not be sent again
    }

    /**
     * A held answer was read to its end. A 5xx meant for a retry: the request goes again after a backoff. A
     * provider's 429: it was not processed, so the slot goes back and the request waits first in line.
     */
    @Override
    public void heldEnded(HeldResponses.Kind ended) {
        upstream.release(relay.upstreamKeepAlive());
        body.rewind();
        phase = Phase.ADMITTING;
        if (ended == HeldResponses.Kind.RETRY) {
            attempts.retryLater(relay.heldResponse().retryAfter(ZonedDateTime.now(), Duration.ZERO), this);
        } else {
            turn.retryFirstAfter429(relay.heldResponse().retryAfter(ZonedDateTime.now()));
        }
    }

    @Override
    public void relayed() {
        target.probe().at(Probe.Stage.RESPONSE_COMPLETE);
        phase = Phase.ENDED;
        client.flush();
        cleanUp(relay.upstreamKeepAlive() && requestComplete);
        client.responseComplete(relay.clientKeepAlive());
    }

    @Override
    public void malformed() {
        upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, target.pool().name() + " sent a malformed response");
    }

    @Override
    public void pauseUpstream() {
        upstream.reading(false);
    }

    @Override
    public boolean done() {
        return phase == Phase.ENDED;
    }

    private void respondAbsorbed() {
        FullHttpResponse response = relay.heldAnswer();
        phase = Phase.ENDED;
        cleanUp(false);
        client.respond(response, true);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (phase != Phase.ENDED && relay.started()) {
            client.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged() {
        if (phase != Phase.ENDED && upstream.writable()) {
            client.suspendReading(false);
        }
    }

    @Override
    public void onClientWritabilityChanged() {
        if (phase != Phase.ENDED && client.isWritable()) {
            upstream.reading(true);
        }
    }

    @Override
    public void onUpstreamClosed() {
        if (phase == Phase.ENDED) {
            return;
        }
        if (!relay.started() && !relay.hasHeldAnswer() && body.canResend() && upstream.mayRetryOnFresh()) {
            phase = Phase.CONNECTING;
            upstream.retryOnFresh(this); // a stale pooled connection says nothing about the upstream's health
            return;
        }
        if (!relay.started()) {
            attempts.verdict(false);
        }
        upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, target.pool().name() + " closed the connection before the "
                + (relay.started() ? "response ended" : "response began"));
    }

    @Override
    public void onUpstreamReadIdle() {
        if (phase != Phase.ENDED && (relay.started() || relay.holding())) {
            upstreamBroke(GatewayError.UPSTREAM_TIMEOUT, target.pool().name() + " went silent mid-response");
        }
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (phase != Phase.ENDED) {
            upstreamBroke(error, message); // the upstream connection closes: it saw only part of the request
        }
    }

    @Override
    public void onClientClosed() {
        if (phase != Phase.ENDED) {
            phase = Phase.ENDED;
            relay.clientLeft();
            cleanUp(false);
        }
    }

    /**
     * Something threw on this exchange's path (an event of its upstream connection, a timer, a future), perhaps
     * after it had ended its response: whatever it still holds is released, and its client side ends the request
     * (which it ignores if the answer was complete).
     */
    @Override
    public void failed(Throwable cause) {
        phase = Phase.ENDED;
        try {
            cleanUp(false);
        } finally {
            client.fail(cause);
        }
    }

    /** Something broke: answer with an error if nothing was sent yet, else cut the client connection. */
    private void upstreamBroke(GatewayError error, String message) {
        if (relay.started()) {
            phase = Phase.ENDED;
            cleanUp(false);
            client.abort();
        } else {
            fail(error, message, 1);
        }
    }

    private void fail(GatewayError error, String message, long retryAfterSeconds) {
        fail(Responses.error(error, message, retryAfterSeconds));
    }

    /**
     * Answers with {@code error}; if an upstream answer was held back (a 429 or 5xx meant for a retry), that instead:
     * the upstream's own answer says more than a refused retry or a queue time run out.
     */
    private void fail(FullHttpResponse error) {
        if (relay.hasHeldAnswer()) {
            error.release();
            respondAbsorbed();
            return;
        }
        phase = Phase.ENDED;
        cleanUp(false);
        client.respond(error, requestComplete);
    }

    /** Gives back everything held: queue place, slot, connection, timers, buffers. Safe to call on any path. */
    private void cleanUp(boolean reusable) {
        if (reusable) {
            upstream.release(true);
        }
        upstream.end();
        turn.end();
        body.release();
        client.suspendReading(false);
        attempts.end();
    }

    private void armResponseTimer() {
        if (!relay.started()) {
            upstream.armResponseTimer();
        }
    }

    private void responseTimedOut() {
        if (phase != Phase.ENDED && !relay.started()) {
            guarded(() -> {
                attempts.verdict(false);
                fail(GatewayError.UPSTREAM_TIMEOUT, target.pool().name() + " sent no response within "
                        + target.pool().config().responseTimeout().toMillis() + "ms", 1);
            });
        }
    }

    /** A step taken from a callback (a future, a timer, an admission): if it throws, the exchange ends. */
    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (Throwable cause) {
            failed(cause);
        }
    }
}
