package dev.platemate.gateway.server;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;

/**
 * An exchange that holds the request body until it knows which exchange serves the request, then hands that one
 * the body and steps aside: a decorator that decides before anything goes upstream (a check made elsewhere, a
 * body read whole). Until then an abort answers the error itself, and a client that leaves releases what is held.
 * Event-loop only.
 */
public abstract class HoldingExchange implements Exchange {

    protected final ClientSide client;
    private final List<HttpContent> held = new ArrayList<>();
    private Exchange next;
    private boolean over;

    protected HoldingExchange(ClientSide client) {
        this.client = client;
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (next != null) {
            next.onRequestContent(content);
        } else if (over) {
            content.release();
        } else {
            held.add(content);
            if (content instanceof LastHttpContent) {
                bodyHeld();
            }
        }
    }

    /** The body's last part is held. Nothing by default. */
    protected void bodyHeld() {
    }

    /** What is held, still held (read, not taken). */
    protected final List<HttpContent> held() {
        return held;
    }

    /** What is held, now the caller's to forward or release. */
    protected final List<HttpContent> takeHeld() {
        List<HttpContent> parts = new ArrayList<>(held);
        held.clear();
        return parts;
    }

    /** From now on {@code exchange} serves the request; {@code parts} (taken before) go to it first. */
    protected final void handOver(Exchange exchange, List<HttpContent> parts) {
        next = exchange;
        parts.forEach(exchange::onRequestContent);
    }

    /** The exchange handed over to, or null before. */
    protected final Exchange next() {
        return next;
    }

    /** Whether the request ended before it was handed over (its client left, or it was aborted). */
    protected final boolean over() {
        return over;
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (next != null) {
            next.abort(error, message);
        } else if (!over) {
            release();
            client.respond(Responses.error(error, message), false);
        }
    }

    @Override
    public void onClientWritabilityChanged() {
        if (next != null) {
            next.onClientWritabilityChanged();
        }
    }

    @Override
    public void onClientClosed() {
        if (next != null) {
            next.onClientClosed();
        } else {
            release();
        }
    }

    /** Ends it before a hand-over: what is held is released. */
    protected final void release() {
        over = true;
        held.forEach(HttpContent::release);
        held.clear();
    }
}
