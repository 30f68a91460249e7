package dev.platemate.gateway.proxy;

import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One proxied request: takes an upstream connection on the client's own event loop, streams the request body up
 * and the response down with backpressure both ways, and gives the connection back only when the response was
 * read completely and neither side said close. Every path ends in exactly one of: the upstream's response, a JSON
 * error (if no response byte reached the client yet), or a cut client connection. Event-loop only.
 */
final class ProxyExchange implements Exchange, UpstreamListener, FutureListener<UpstreamConnection> {

    private final ClientSide client;
    private final Channel clientChannel;
    private final UpstreamPool pool;
    private final HeaderRewriter rewriter;
    private final HttpRequest request;
    private final HttpVersion clientVersion;
    private final boolean headRequest;
    private final RequestBody body = new RequestBody();
    private final long responseTimeoutNanos;

    private Future<UpstreamConnection> acquiring;
    private UpstreamConnection upstream;
    private ScheduledFuture<?> responseTimer;
    private long sentNanos;
    private boolean requestComplete;
    private boolean retried;
    private boolean responseStarted;
    private boolean skippingInformational;
    private boolean upstreamKeepAlive;
    private boolean clientKeepAlive;
    private boolean done;

    ProxyExchange(ClientSide client, UpstreamPool pool, HeaderRewriter rewriter, HttpRequest request,
                  HttpVersion clientVersion) {
        this.client = client;
        this.clientChannel = client.channel();
        this.pool = pool;
        this.rewriter = rewriter;
        this.request = request;
        this.clientVersion = clientVersion;
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.responseTimeoutNanos = pool.config().responseTimeout().toNanos();
    }

    void start() {
        acquiring = pool.acquire(clientChannel.eventLoop(), false);
        acquiring.addListener(this);
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
            fail(UpstreamFailures.errorFor(future.cause()), UpstreamFailures.describe(pool.name(), future.cause()));
            return;
        }
        upstream = future.getNow();
        upstream.attach(this);
        body.replayable(upstream.reused() && !retried);
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
            upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, pool.name() + " sent a malformed response");
            return;
        }
        if (part instanceof HttpResponse response && !startResponse(response)) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (skippingInformational) {
            skippingInformational = !(part instanceof LastHttpContent);
            ReferenceCountUtil.release(part);
            return;
        }
        clientChannel.write(part, clientChannel.voidPromise());
        if (part instanceof LastHttpContent) {
            finish();
        } else if (!clientChannel.isWritable()) {
            upstream.channel().config().setAutoRead(false);
        }
    }

    /** @return false for an informational (1xx) head, which is dropped with its empty body */
    private boolean startResponse(HttpResponse response) {
        if (response.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            skippingInformational = true;
            return false;
        }
        cancelResponseTimer();
        responseStarted = true;
        body.release();
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        long upstreamMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos);
        clientKeepAlive = rewriter.prepareResponse(response, headRequest, client.keepAliveWanted(), clientVersion,
                upstreamMillis);
        return true;
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!done && responseStarted) {
            clientChannel.flush();
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
        if (!done && upstream != null && clientChannel.isWritable()) {
            upstream.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void onUpstreamClosed() {
        if (done) {
            return;
        }
        if (!responseStarted && body.replayable() && !retried) {
            retryOnFreshConnection();
            return;
        }
        upstreamBroke(GatewayError.UPSTREAM_UNAVAILABLE, pool.name() + " closed the connection before the "
                + (responseStarted ? "response ended" : "response began"));
    }

    @Override
    public void onUpstreamReadIdle() {
        if (!done && responseStarted) {
            upstreamBroke(GatewayError.UPSTREAM_TIMEOUT, pool.name() + " went silent mid-response");
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
        cancelResponseTimer();
        UpstreamConnection stale = upstream;
        upstream = null;
        stale.release(false);
        body.rewind();
        acquiring = pool.acquire(clientChannel.eventLoop(), true);
        acquiring.addListener(this);
    }

    private void finish() {
        done = true;
        clientChannel.flush();
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
            fail(error, message);
        }
    }

    private void fail(GatewayError error, String message) {
        done = true;
        cleanUp(false);
        client.respond(Responses.error(error, message), requestComplete);
    }

    private void cleanUp(boolean reusable) {
        cancelResponseTimer();
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
        if (upstream != null) {
            UpstreamConnection connection = upstream;
            upstream = null;
            connection.channel().config().setAutoRead(true);
            connection.release(reusable);
        }
        body.release();
        client.suspendReading(false);
    }

    private void armResponseTimer() {
        if (responseTimer == null && !responseStarted) {
            responseTimer = clientChannel.eventLoop().schedule(this::responseTimedOut, responseTimeoutNanos,
                    TimeUnit.NANOSECONDS);
        }
    }

    private void responseTimedOut() {
        responseTimer = null;
        if (!done && !responseStarted) {
            fail(GatewayError.UPSTREAM_TIMEOUT, pool.name() + " sent no response within "
                    + pool.config().responseTimeout().toMillis() + "ms");
        }
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }
}
