package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.limiter.SlotListener;
import dev.platemate.gateway.pool.PoolExhaustedException;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
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
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.concurrent.TimeUnit;

/**
 * One proxied request. On a limited route it first waits, with its whole body, for a slot of the route's limiter.
 * Then it takes an upstream connection on the client's own event loop, streams the request body up and the
 * response down with backpressure both ways, and gives the connection back only when the response was read
 * completely and neither side said close. A provider's 429 on a limited route is absorbed: the limiter pauses and
 * the same request goes again first, until its queue time runs out. Every path ends in exactly one of: the
 * upstream's response, a JSON error (if no response byte reached the client yet), or a cut client connection; and
 * every path gives back the slot, the connection and the buffers it held. Event-loop only.
 */
final class ProxyExchange implements Exchange, UpstreamListener, FutureListener<UpstreamConnection>, SlotListener {

    private final ClientSide client;
    private final ProxyTarget target;
    private final HttpRequest request;
    private final HttpVersion clientVersion;
    private final boolean headRequest;
    private final RequestBody body;
    private final OneShotTimer responseTimer;
    private final Attempts attempts;

    private final LimiterTurn turn;
    private final HeldResponses held = new HeldResponses();
    private Future<UpstreamConnection> acquiring;
    private UpstreamConnection upstream;
    private long sentNanos;
    private boolean requestComplete;
    private boolean retried;
    private boolean responseStarted;
    private boolean upstreamKeepAlive;
    private boolean clientKeepAlive;
    private boolean done;

    ProxyExchange(ClientSide client, ProxyTarget target, HttpRequest request, HttpVersion clientVersion) {
        this.client = client;
        this.target = target;
        this.request = request;
        this.clientVersion = clientVersion;
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.body = new RequestBody(target.limited());
        this.turn = target.limited()
                ? new LimiterTurn(target.limiter(), target.ticker(), client.eventLoop(), this) : null;
        this.attempts = new Attempts(target.protection(), target.pool().name(), client.eventLoop(), request.method());
        this.responseTimer = new OneShotTimer(client.eventLoop(), target.pool().config().responseTimeout().toNanos(),
                this::responseTimedOut);
    }

    /** Unlimited requests go upstream at once; limited ones queue once their body is complete. */
    void start() {
        if (!target.limited()) {
            admit();
        }
    }

    /** The breaker and the bucket decide whether the next attempt goes upstream now. */
    private void admit() {
        attempts.admit(() -> {
            if (!done) {
                acquireConnection(false);
            }
        }, refusal -> {
            if (done) {
                refusal.release();
            } else if (held.hasAnswer()) {
                refusal.release();
                respondAbsorbed(); // the upstream's own answer says more than the refusal of a retry
            } else {
                failWith(refusal);
            }
        }, wait -> turn != null && turn.waitForToken(wait));
    }

    /** Another attempt after a backoff (at least the upstream's Retry-After), if the client is still there. */
    private void retryLater(Duration retryAfter) {
        attempts.later(retryAfter, () -> {
            if (!done) {
                admit();
            }
        });
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
        admit();
    }

    @Override
    public void onRejected(Rejection rejection, long retryAfterSeconds) {
        turn.refused();
        if (done) {
            return;
        }
        if (held.hasAnswer() && rejection == Rejection.QUEUE_TIMEOUT) {
            respondAbsorbed(); // its time ran out: the client sees the provider's own 429
            return;
        }
        fail(Failures.errorFor(rejection), Failures.describe(target.limiter().name(), rejection), retryAfterSeconds);
    }

    /** The upstream connection arrived, or could not be had. */
    @Override
    public void operationComplete(Future<UpstreamConnection> future) {
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
                    retryLater(Duration.ZERO); // it never reached the upstream: any method may go again
                    return;
                }
            }
            fail(Failures.errorFor(future.cause()), Failures.describe(target.pool().name(), future.cause()), 1);
            return;
        }
        upstream = future.getNow();
        upstream.attach(this);
        body.keepCopies(target.limited() || attempts.mayResendAfterSending() || (upstream.reused() && !retried));
        Channel channel = upstream.channel();
        sentNanos = System.nanoTime();
        channel.write(request, channel.voidPromise());
        body.sendPending(channel);
        channel.flush();
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
            return;
        }
        if (part.decoderResult().isFailure()) {
            ReferenceCountUtil.release(part);
            upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, target.pool().name() + " sent a malformed response");
            return;
        }
        if (part instanceof HttpResponse response && !startResponse(response)) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (held.holding()) {
            settle(held.take(part));
            return;
        }
        client.write(part);
        if (done) {
            return; // whatever stands for the client gave up on this response
        }
        if (part instanceof LastHttpContent) {
            finish();
        } else if (!client.isWritable()) {
            upstream.channel().config().setAutoRead(false);
        }
    }

    /** @return false for a head the client must not see: an informational (1xx) one, or a 429 to absorb */
    private boolean startResponse(HttpResponse response) {
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            held.hold(response, HeldResponses.Kind.INFORMATIONAL);
            return false;
        }
        responseTimer.cancel();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        int status = response.status().code();
        attempts.verdict(status < 500);
        if (attempts.tryRetryResponse(status, body.canResend(),
                AbsorbedResponse.retryAfter(response.headers(), ZonedDateTime.now(), Duration.ZERO))) {
            held.hold(response, HeldResponses.Kind.RETRY);
            return false;
        }
        if (turn != null && body.canResend() && turn.absorbs(response)) {
            held.hold(response, HeldResponses.Kind.PROVIDER_429);
            return false;
        }
        responseStarted = true;
        body.release();
        long upstreamMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos);
        clientKeepAlive = target.rewriter().prepareResponse(response, headRequest, client.keepAliveWanted(),
                clientVersion, queueMillis(), upstreamMillis);
        return true;
    }

    private long queueMillis() {
        return turn == null ? -1 : turn.queueMillis();
    }

    /**
     * A held answer was read to its end. A 5xx meant for a retry: the request goes again after a backoff. A
     * provider's 429: it was not processed, so the slot goes back and the request waits first in line.
     */
    private void settle(HeldResponses.Kind ended) {
        if (ended == null || ended == HeldResponses.Kind.INFORMATIONAL) {
            return;
        }
        releaseUpstream(upstreamKeepAlive);
        body.rewind();
        if (ended == HeldResponses.Kind.RETRY) {
            retryLater(held.answer().retryAfter(ZonedDateTime.now(), Duration.ZERO));
        } else {
            turn.retryFirstAfter(held.answer().retryAfter(ZonedDateTime.now()));
        }
    }

    private void respondAbsorbed() {
        FullHttpResponse response = held.answer().toResponse();
        target.rewriter().prepareResponse(response, headRequest, client.keepAliveWanted(), clientVersion,
                queueMillis(), 0);
        done = true;
        cleanUp(false);
        client.respond(response, true);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!done && responseStarted) {
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
        if (!responseStarted && !held.hasAnswer() && body.canResend() && !retried) {
            retryOnFreshConnection(); // a stale pooled connection says nothing about the upstream's health
            return;
        }
        if (!responseStarted) {
            attempts.verdict(false);
        }
        upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, target.pool().name() + " closed the connection before the "
                + (responseStarted ? "response ended" : "response began"));
    }

    @Override
    public void onUpstreamReadIdle() {
        if (!done && (responseStarted || held.holding())) {
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
        cleanUp(false);
    }

    /** A connection that served requests before went stale: send the same request once more, on a new one. */
    private void retryOnFreshConnection() {
        retried = true;
        releaseUpstream(false);
        body.rewind();
        acquireConnection(true);
    }

    private void finish() {
        done = true;
        client.flush();
        cleanUp(upstreamKeepAlive && requestComplete);
        client.responseComplete(clientKeepAlive);
    }

    /** Something broke: answer with an error if nothing was sent yet, else cut the client connection. */
    private void upstreamBroke(GatewayError error, String message) {
        if (responseStarted) {
            done = true;
            cleanUp(false);
            client.abort();
        } else {
            fail(error, message, 1);
        }
    }

    /** Answers with an error; if an upstream answer was held back (a 429 or 5xx meant for a retry), that instead. */
    private void fail(GatewayError error, String message, long retryAfterSeconds) {
        if (held.hasAnswer()) {
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
        if (!responseStarted) {
            responseTimer.arm();
        }
    }

    private void responseTimedOut() {
        if (!done && !responseStarted) {
            attempts.verdict(false);
            fail(GatewayError.UPSTREAM_TIMEOUT, target.pool().name() + " sent no response within "
                    + target.pool().config().responseTimeout().toMillis() + "ms", 1);
        }
    }
}
