package dev.platemate.gateway.proxy;

import dev.platemate.gateway.pool.PlainBody;
import dev.platemate.gateway.pool.PlainHead;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.WireBytes;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * The response side of one proxied exchange. For each upstream head it asks the exchange whether the client may
 * see it; what the client may see is rewritten and relayed part by part, pausing the upstream while the client
 * is not writable; what it may not (1xx, an answer held for a retry) is held back. Event-loop only.
 */
final class ResponseRelay {

    /** What the relay needs from its exchange. */
    interface Owner {
        boolean done();

        /** How to treat a final (non-1xx) head: null to relay it, else the kind of hold. */
        HeldResponses.Kind screen(HttpResponse head);

        /** A plain response (under 500, not 429: see PlainResponses) began: it is relayed. */
        void plainBegins();

        /** A held answer was read to its end. */
        void heldEnded(HeldResponses.Kind kind);

        /** The last part went to the client. */
        void relayed();

        /** The upstream sent something that cannot be parsed. */
        void malformed();

        /** Stop reading the upstream until the client can take more. */
        void pauseUpstream();
    }

    private final ClientSide client;
    private final HeaderRewriter rewriter;
    private final boolean headRequest;
    private final HttpVersion clientVersion;
    private final Owner exchange;
    private final LimiterTurn turn;
    private final Probe probe;
    private final HeldResponses held = new HeldResponses();
    private long sentAt;
    private boolean started;
    private boolean upstreamKeepAlive;
    private boolean clientKeepAlive;

    /** @param turn the exchange's place in its limiter, for Server-Timing */
    ResponseRelay(ClientSide client, HeaderRewriter rewriter, boolean headRequest, HttpVersion clientVersion,
                  Owner exchange, LimiterTurn turn, Probe probe) {
        this.client = client;
        this.rewriter = rewriter;
        this.headRequest = headRequest;
        this.clientVersion = clientVersion;
        this.exchange = exchange;
        this.turn = turn;
        this.probe = probe;
    }

    /** The request went upstream now: the upstream's part of Server-Timing counts from here. */
    void requestSent() {
        sentAt = System.nanoTime();
    }

    /** A decoded part of the upstream's response, or a plain head or body part; ownership passes. */
    void part(HttpObject part) {
        try {
            probe.at(part instanceof HttpResponse || part instanceof PlainHead ? Probe.Stage.RESPONSE_HEAD
                    : Probe.Stage.BODY_PART);
        } catch (RuntimeException cause) {
            ReferenceCountUtil.release(part);
            throw cause;
        }
        if (part instanceof PlainHead head) {
            startPlain(head);
            return;
        }
        if (part instanceof PlainBody body) {
            client.write(WireBytes.body(body.content(), body.last()));
            afterWrite(body.last());
            return;
        }
        if (part.decoderResult().isFailure()) {
            ReferenceCountUtil.release(part);
            exchange.malformed();
            return;
        }
        if (part instanceof HttpResponse response && !start(response)) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (held.holding()) {
            HeldResponses.Kind ended = held.take(part);
            if (ended != null && ended != HeldResponses.Kind.INFORMATIONAL) {
                exchange.heldEnded(ended);
            }
            return;
        }
        client.write(part);
        afterWrite(part instanceof LastHttpContent);
    }

    private void afterWrite(boolean last) {
        if (exchange.done()) {
            return; // whatever stands for the client gave up on this response
        }
        if (last) {
            exchange.relayed();
        } else if (!client.isWritable()) {
            exchange.pauseUpstream();
        }
    }

    /** A plain head: its lines are ended for the client and sent as they are. */
    private void startPlain(PlainHead head) {
        upstreamKeepAlive = head.keepAlive();
        exchange.plainBegins();
        started = true;
        clientKeepAlive = client.keepAliveWanted();
        String timing = HeaderRewriter.serverTiming(queueMillis(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
        HeaderRewriter.finishPlainHead(head.content(), timing, clientKeepAlive);
        client.write(WireBytes.head(head.content(), head.status(), timing));
        afterWrite(false);
    }

    /** @return false for a head the client must not see */
    private boolean start(HttpResponse response) {
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            held.hold(response, HeldResponses.Kind.INFORMATIONAL);
            return false;
        }
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HeldResponses.Kind hold = exchange.screen(response);
        if (hold != null) {
            held.hold(response, hold);
            return false;
        }
        started = true;
        clientKeepAlive = rewriter.prepareResponse(response, headRequest, client.keepAliveWanted(), clientVersion,
                queueMillis(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
        return true;
    }

    /** The last answer held back, as the client would get it. */
    FullHttpResponse heldAnswer() {
        FullHttpResponse response = held.answer().toResponse();
        rewriter.prepareResponse(response, headRequest, client.keepAliveWanted(), clientVersion, queueMillis(), 0);
        return response;
    }

    private long queueMillis() {
        return turn.queueMillis();
    }

    /** The client left: tells it what the request spent queued and upstream until then, for the access log. */
    void clientLeft() {
        client.timed(queueMillis(), sentAt == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
    }

    /** Whether any byte of a response went to the client. */
    boolean started() {
        return started;
    }

    /** Whether the response being read is held back. */
    boolean holding() {
        return held.holding();
    }

    /** Whether an upstream answer is held for the client, should no later attempt be possible. */
    boolean hasHeldAnswer() {
        return held.hasAnswer();
    }

    AbsorbedResponse heldResponse() {
        return held.answer();
    }

    boolean upstreamKeepAlive() {
        return upstreamKeepAlive;
    }

    boolean clientKeepAlive() {
        return clientKeepAlive;
    }
}
