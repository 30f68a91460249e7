package dev.platemate.gateway.ai;

import dev.platemate.gateway.config.AiRouteConfig;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A request on an AI route, around the exchange that serves it (Armeria-style: a decorator, not a flag inside it).
 * It reads the whole body (bounded by {@code server.max_body_size}), learns its model and whether it streams,
 * asks for the stream's usage chunk when the request did not say and the route injects it, and then opens the
 * inner exchange with a {@link UsageMeter} between it and the client. Event-loop only.
 */
public final class AiExchange implements Exchange {

    private final ClientSide client;
    private final HttpRequest request;
    private final AiRouteConfig route;
    private final BiFunction<HttpRequest, ClientSide, Exchange> inner;
    private final List<HttpContent> held = new ArrayList<>();
    private Exchange next;
    private UsageMeter meter;
    private boolean over;

    /** @param inner opens the exchange that serves the request, answering to the client side it is given */
    public AiExchange(ClientSide client, HttpRequest request, AiRouteConfig route,
                      BiFunction<HttpRequest, ClientSide, Exchange> inner) {
        this.client = client;
        this.request = request;
        this.route = route;
        this.inner = inner;
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
                open();
            }
        }
    }

    private void open() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        held.forEach(part -> body.writeBytes(ByteBufUtil.getBytes(part.content())));
        AiRequest ai = AiRequest.read(body.toByteArray());
        boolean askUsage = route.injectStreamUsage() && ai.wantsUsageAdded();
        List<HttpContent> parts = new ArrayList<>(held);
        held.clear();
        if (askUsage) {
            byte[] rewritten = ai.withUsageAsked();
            parts.forEach(HttpContent::release);
            parts = List.of(new DefaultLastHttpContent(Unpooled.wrappedBuffer(rewritten)));
            request.headers().remove(HttpHeaderNames.TRANSFER_ENCODING)
                    .set(HttpHeaderNames.CONTENT_LENGTH, rewritten.length);
        }
        meter = new UsageMeter(client, ai, askUsage);
        next = inner.apply(request, meter);
        parts.forEach(next::onRequestContent);
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
        if (next == null) {
            release();
            return;
        }
        try {
            next.onClientClosed();
        } finally {
            meter.clientLeft();
        }
    }

    private void release() {
        over = true;
        held.forEach(HttpContent::release);
        held.clear();
    }
}
