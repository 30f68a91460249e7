package dev.platemate.gateway.websocket;

import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.resilience.Failures;
import dev.platemate.gateway.server.GatewayError;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
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
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A handshake's way upstream: a pooled connection (a new one, once, when an idle one turns out closed), the head
 * sent, the answer read whole within the upstream's {@code response_timeout}. It ends once, in one of
 * {@link Outcome}'s calls, or with {@link #cancel()}; it lets go of its connection, but for a 101, whose connection
 * passes on. Event-loop only.
 */
final class UpstreamHandshake implements UpstreamListener {

    /** How the handshake ended upstream. Called on the loop, at most once. */
    interface Outcome {
        /** A 101, read to its end: {@code connection} is the caller's now, to switch or to release. */
        void switched(HttpResponse head, UpstreamConnection connection);

        /** The upstream answered otherwise: its answer, for the client. */
        void refused(FullHttpResponse answer);

        /** No answer to be had: the error for the client. */
        void failed(GatewayError error, String message);

        /** Handling an event threw. */
        void crashed(Throwable cause);
    }

    private final UpstreamPool pool;
    private final EventLoop loop;
    private final HttpRequest head;
    private final Outcome outcome;
    private Future<UpstreamConnection> acquiring;
    private UpstreamConnection connection;
    private ScheduledFuture<?> answerTimer;
    private boolean retriedStale;
    private boolean interim;
    private HttpResponse switching;
    private Refusal refusal;
    private boolean over;
    private boolean crashed;

    /** @param head the handshake as it goes upstream (not sent before {@link #start}) */
    UpstreamHandshake(UpstreamPool pool, EventLoop loop, HttpRequest head, Outcome outcome) {
        this.pool = pool;
        this.loop = loop;
        this.head = head;
        this.outcome = outcome;
    }

    void start() {
        connect(false);
    }

    /** The client left, or the exchange failed: everything held goes. */
    void cancel() {
        end();
    }

    /** @param fresh a new connection, after an idle one turned out to be closed */
    private void connect(boolean fresh) {
        acquiring = pool.acquire(loop, fresh);
        acquiring.addListener((Future<UpstreamConnection> f) -> {
            try {
                connected(f);
            } catch (Throwable cause) {
                crash(cause);
            }
        });
    }

    private void connected(Future<UpstreamConnection> future) {
        acquiring = null;
        if (over) {
            if (future.isSuccess()) {
                future.getNow().release(true);   // nothing was sent on it
            }
            return;
        }
        if (!future.isSuccess()) {
            fail(Failures.errorFor(future.cause()), Failures.describe(pool.name(), future.cause()));
            return;
        }
        connection = future.getNow();
        connection.attach(this, false, false);
        Channel channel = connection.channel();
        channel.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, head.uri(),
                head.headers().copy()), channel.voidPromise());
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
        answerTimer = loop.schedule(() -> {
            answerTimer = null;
            fail(GatewayError.UPSTREAM_TIMEOUT, "upstream " + pool.name()
                    + " did not answer the WebSocket handshake within its response_timeout");
        }, pool.config().responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void onResponsePart(HttpObject part) {
        if (over) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (part.decoderResult().isFailure()) {
            ReferenceCountUtil.release(part);
            fail(GatewayError.UPSTREAM_UNAVAILABLE, "upstream " + pool.name() + " answered the handshake with a "
                    + "malformed response");
            return;
        }
        if (part instanceof HttpResponse response) {
            int status = response.status().code();
            interim = status >= 100 && status < 200 && status != 101;   // 100, 103: the answer is still to come
            if (status == 101) {
                switching = response;
            } else if (!interim) {
                refusal = new Refusal(response);
            }
        }
        if (interim) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (part instanceof HttpContent content) {
            boolean kept = refusal == null || refusal.add(content);
            content.release();
            if (!kept) {
                fail(GatewayError.UPSTREAM_UNAVAILABLE, "upstream " + pool.name() + " answered the handshake "
                        + "with more than " + Refusal.MAX_BODY + " bytes");
            } else if (content instanceof LastHttpContent) {
                answered();
            }
        }
    }

    private void answered() {
        UpstreamConnection used = connection;
        connection = null;
        if (refusal == null) {
            end();
            outcome.switched(switching, used);
            return;
        }
        FullHttpResponse answer = refusal.toClient();
        end();
        used.release(HttpUtil.isKeepAlive(refusal.head()));
        outcome.refused(answer);
    }

    @Override
    public void onUpstreamClosed() {
        if (over) {
            return;
        }
        UpstreamConnection closed = connection;
        if (closed != null && closed.reused() && switching == null && refusal == null && !retriedStale) {
            retriedStale = true;   // an idle connection the upstream had closed: once more on a new one
            connection = null;
            cancelTimer();
            closed.release(false);
            connect(true);
            return;
        }
        fail(GatewayError.UPSTREAM_UNAVAILABLE, "upstream " + pool.name()
                + " closed the connection before it answered the handshake");
    }

    @Override
    public void onUpstreamReadComplete() {
    }

    @Override
    public void onUpstreamWritabilityChanged() {
    }

    @Override
    public void onUpstreamReadIdle() {
        // the handshake's own clock (response_timeout) decides
    }

    @Override
    public void failed(Throwable cause) {
        crash(cause);
    }

    private void fail(GatewayError error, String message) {
        if (!over) {
            end();
            outcome.failed(error, message);
        }
    }

    /** Also after an outcome: the outcome itself may have thrown. */
    private void crash(Throwable cause) {
        end();
        if (!crashed) {
            crashed = true;
            outcome.crashed(cause);
        }
    }

    private void end() {
        over = true;
        cancelTimer();
        if (acquiring != null) {
            acquiring.cancel(false);
            acquiring = null;
        }
        if (connection != null) {
            connection.release(false);
            connection = null;
        }
        if (refusal != null) {
            refusal.release();   // nothing once its body passed to the client
        }
    }

    private void cancelTimer() {
        if (answerTimer != null) {
            answerTimer.cancel(false);
            answerTimer = null;
        }
    }
}
