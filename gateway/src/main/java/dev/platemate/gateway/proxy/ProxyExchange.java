package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.limiter.SlotListener;
import dev.platemate.gateway.pool.PoolExhaustedException;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.channel.Channel;
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
import java.util.concurrent.TimeUnit;

/**
 * One proxied request. On a limited route it first waits, with its whole body, for a slot ({@link LimiterTurn});
 * each attempt is admitted by the breaker and the bucket ({@link Attempts}). It takes an upstream connection on the
 * client's own event loop and streams the request body up, while {@link ResponseRelay} brings the response down;
 * the connection goes back only when the response was read completely and neither side said close. Every path
 * ends in exactly one of: the upstream's response, a JSON error (if no response byte reached the client yet), or a
 * cut client connection; and every path gives back the slot, the connection and the buffers it held.
 * Event-loop only.
 */
final class ProxyExchange implements Exchange, UpstreamListener, FutureListener<UpstreamConnection>, SlotListener,
        ResponseRelay.Owner, Attempts.Listener {

    private final ClientSide client;
    private final ProxyTarget target;
    private final HttpRequest request;
    private final RequestBody body;
    private final OneShotTimer responseTimer;
    private final Attempts attempts;
    private final LimiterTurn turn;
    private final ResponseRelay relay;
    private final boolean plain;
    private Future<UpstreamConnection> acquiring;
    private UpstreamConnection upstream;
    private boolean requestComplete;
    private boolean retried;
    private boolean done;

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
        this.turn = target.limited()
                ? new LimiterTurn(target.limiter(), target.ticker(), client.eventLoop(), this) : null;
        this.relay = new ResponseRelay(client, target.rewriter(), HttpMethod.HEAD.equals(request.method()),
                clientVersion, this, turn, target.probe());
        this.attempts = new Attempts(target.protection(), target.pool().name(), client.eventLoop(), request.method());
        this.plain = plainAllowed && turn == null && clientVersion.equals(HttpVersion.HTTP_1_1);
        this.responseTimer = new OneShotTimer(client.eventLoop(), target.pool().config().responseTimeout().toNanos(),
                this::responseTimedOut);
    }

    /** Unlimited requests go upstream at once; limited ones queue once their body is complete. */
    void start() {
        if (!target.limited()) {
            attempts.admit(this);
        }
    }

    /** The breaker and the bucket let the attempt through. */
    @Override
    public void admitted() {
        if (!done) {
            try {
                acquireConnection(false);
            } catch (Throwable cause) {
                failed(cause);
            }
        }
    }

    @Override
    public void refused(FullHttpResponse refusal) {
        try {
            refusedNow(refusal);
        } catch (Throwable cause) {
            failed(cause);
        }
    }

    private void refusedNow(FullHttpResponse refusal) {
        if (done) {
            refusal.release();
        } else if (relay.hasHeldAnswer()) {
            refusal.release();
            respondAbsorbed(); // the upstream's own answer says more than the refusal of a retry
        } else {
            failWith(refusal);
        }
    }

    @Override
    public boolean waitForTokenInQueue(Duration wait) {
        return turn != null && turn.waitForToken(wait);
    }

    private void acquireConnection(boolean fresh) {
        acquiring = target.pool().acquire(client.eventLoop(), fresh);
        acquiring.addListener(this);
    }

    @Override
    public void onSlot(Permit granted, long waitedNanos) {
        if (done) {
            granted.release();
            return;
        }
        turn.granted(granted, waitedNanos);
        try {
            target.probe().at(Probe.Stage.LIMITER_GRANT);
            attempts.admit(this);
        } catch (Throwable cause) {
            failed(cause);
        }
    }

    @Override
    public void onRejected(Rejection rejection, long retryAfterSeconds) {
        try {
            rejectedNow(rejection, retryAfterSeconds);
        } catch (Throwable cause) {
            failed(cause);
        }
    }

    private void rejectedNow(Rejection rejection, long retryAfterSeconds) {
        turn.refused();
        if (done) {
            return;
        }
        if (relay.hasHeldAnswer() && rejection == Rejection.QUEUE_TIMEOUT) {
            respondAbsorbed(); // its time ran out: the client sees the provider's own 429
            return;
        }
        fail(Failures.errorFor(rejection), Failures.describe(target.limiter().name(), rejection), retryAfterSeconds);
    }

    /** The upstream connection arrived, or could not be had. */
    @Override
    public void operationComplete(Future<UpstreamConnection> future) {
        try {
            connectionArrived(future);
        } catch (Throwable cause) {
            failed(cause);
        }
    }

    private void connectionArrived(Future<UpstreamConnection> future) {
        acquiring = null;
        if (done) {
            if (future.isSuccess()) {
                future.getNow().release(true); // nothing was sent on it
            }
            return;
        }
        if (!future.isSuccess()) {
            boolean upstreamFault = !(future.cause() instanceof PoolExhaustedException);
            if (upstreamFault) {
                attempts.verdict(false);
                if (attempts.tryRetryUnsent()) {
                    attempts.retryLater(Duration.ZERO, this); // it never reached the upstream: any method may go again
                    return;
                }
            }
            fail(Failures.errorFor(future.cause()), Failures.describe(target.pool().name(), future.cause()), 1);
            return;
        }
        upstream = future.getNow();
        upstream.attach(this, plain, HttpMethod.HEAD.equals(request.method()));
        target.probe().at(Probe.Stage.UPSTREAM_CONNECT);
        body.keepCopies(target.limited() || attempts.mayResendAfterSending() || (upstream.reused() && !retried));
        Channel channel = upstream.channel();
        relay.requestSent();
        channel.write(request, channel.voidPromise());
        body.sendPending(channel);
        channel.flush();
        target.probe().at(Probe.Stage.REQUEST_WRITE);
        if (requestComplete) {
            armResponseTimer();
        }
        client.suspendReading(!requestComplete && !channel.isWritable());
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (upstream == null) {
            if (body.hold(content)) {
                client.suspendReading(true); // enough waits; the rest stays in the socket
            }
        } else {
            Channel channel = upstream.channel();
            body.send(channel, content);
            channel.flush();
            if (!channel.isWritable()) {
                client.suspendReading(true);
            }
        }
        if (last) {
            requestComplete = true;
            if (upstream != null) {
                armResponseTimer();
            } else if (target.limited()) {
                turn.enqueue();
            }
        }
    }

    @Override
    public void onResponsePart(HttpObject part) {
        if (done) {
            ReferenceCountUtil.release(part);
        } else {
            relay.part(part);
        }
    }

    @Override
    public HeldResponses.Kind screen(HttpResponse response) {
        responseTimer.cancel();
        int status = response.status().code();
        attempts.verdict(status < 500);
        if (status >= 502 && status <= 504 && attempts.tryRetryResponse(status, body.canResend(),
                AbsorbedResponse.retryAfter(response.headers(), ZonedDateTime.now(), Duration.ZERO))) {
            return HeldResponses.Kind.RETRY;
        }
        if (turn != null && body.canResend() && turn.absorbs(response)) {
            return HeldResponses.Kind.PROVIDER_429;
        }
        body.release(); // the response has begun: the request will not be sent again
        return null;
    }

    @Override
    public void plainBegins() {
        responseTimer.cancel();
        attempts.verdict(true);
        body.release(); // the response has begun: the request will not be sent again
    }

    /**
     * A held answer was read to its end. A 5xx meant for a retry: the request goes again after a backoff. A
     * provider's 429: it was not processed, so the slot goes back and the request waits first in line.
     */
    @Override
    public void heldEnded(HeldResponses.Kind ended) {
        releaseUpstream(relay.upstreamKeepAlive());
        body.rewind();
        if (ended == HeldResponses.Kind.RETRY) {
            attempts.retryLater(relay.heldResponse().retryAfter(ZonedDateTime.now(), Duration.ZERO), this);
        } else {
            turn.retryFirstAfter(relay.heldResponse().retryAfter(ZonedDateTime.now()));
        }
    }

    @Override
    public void relayed() {
        target.probe().at(Probe.Stage.RESPONSE_COMPLETE);
        done = true;
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
        upstream.channel().config().setAutoRead(false);
    }

    @Override
    public boolean done() {
        return done;
    }

    private void respondAbsorbed() {
        FullHttpResponse response = relay.heldAnswer();
        done = true;
        cleanUp(false);
        client.respond(response, true);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!done && relay.started()) {
            client.flush();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged() {
        if (!done && upstream != null && upstream.channel().isWritable()) {
            client.suspendReading(false);
        }
    }

    @Override
    public void onClientWritabilityChanged() {
        if (!done && upstream != null && client.isWritable()) {
            upstream.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void onUpstreamClosed() {
        if (done) {
            return;
        }
        if (!relay.started() && !relay.hasHeldAnswer() && body.canResend() && !retried) {
            retryOnFreshConnection(); // a stale pooled connection says nothing about the upstream's health
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
        if (!done && (relay.started() || relay.holding())) {
            upstreamBroke(GatewayError.UPSTREAM_TIMEOUT, target.pool().name() + " went silent mid-response");
        }
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (!done) {
            upstreamBroke(error, message); // the upstream connection closes: it saw only part of the request
        }
    }

    @Override
    public void onClientClosed() {
        if (done) {
            return;
        }
        done = true;
        relay.clientLeft();
        cleanUp(false);
    }

    /**
     * Something threw on this exchange's path (an event of its upstream connection, a timer, a future), perhaps
     * after it had ended its response: whatever it still holds is released, and its client side ends the request
     * (which it ignores if the answer was complete).
     */
    @Override
    public void failed(Throwable cause) {
        done = true;
        try {
            cleanUp(false);
        } finally {
            client.fail(cause);
        }
    }

    /** A connection that served requests before went stale: send the same request once more, on a new one. */
    private void retryOnFreshConnection() {
        retried = true;
        releaseUpstream(false);
        body.rewind();
        acquireConnection(true);
    }

    /** Something broke: answer with an error if nothing was sent yet, else cut the client connection. */
    private void upstreamBroke(GatewayError error, String message) {
        if (relay.started()) {
            done = true;
            cleanUp(false);
            client.abort();
        } else {
            fail(error, message, 1);
        }
    }

    /** Answers with an error; if an upstream answer was held back (a 429 or 5xx meant for a retry), that instead. */
    private void fail(GatewayError error, String message, long retryAfterSeconds) {
        if (relay.hasHeldAnswer()) {
            respondAbsorbed();
        } else {
            failWith(Responses.error(error, message, retryAfterSeconds));
        }
    }

    private void failWith(FullHttpResponse response) {
        done = true;
        cleanUp(false);
        client.respond(response, requestComplete);
    }

    /** Gives back everything held: queue place, slot, connection, timers, buffers. Safe to call on any path. */
    private void cleanUp(boolean reusable) {
        releaseUpstream(reusable);
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
        if (turn != null) {
            turn.end();
        }
        body.release();
        client.suspendReading(false);
        attempts.end();
    }

    private void releaseUpstream(boolean reusable) {
        responseTimer.cancel();
        if (upstream != null) {
            UpstreamConnection connection = upstream;
            upstream = null;
            connection.channel().config().setAutoRead(true);
            connection.release(reusable);
        }
    }

    private void armResponseTimer() {
        if (!relay.started()) {
            responseTimer.arm();
        }
    }

    private void responseTimedOut() {
        try {
            if (!done && !relay.started()) {
                attempts.verdict(false);
                fail(GatewayError.UPSTREAM_TIMEOUT, target.pool().name() + " sent no response within "
                        + target.pool().config().responseTimeout().toMillis() + "ms", 1);
            }
        } catch (Throwable cause) {
            failed(cause);
        }
    }
}
