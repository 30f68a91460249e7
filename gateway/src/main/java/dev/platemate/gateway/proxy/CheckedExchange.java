package dev.platemate.gateway.proxy;

import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A request waiting for a check made elsewhere (its caller's rate limit, in Redis). Meanwhile reading from the
 * client pauses and what body arrived is held; then the request goes on to the exchange the check's answer opens,
 * which gets the held body. A client that leaves or a request aborted meanwhile releases what is held, and the
 * answer is dropped. Event-loop only.
 */
final class CheckedExchange<T> implements Exchange {

    private final ClientSide client;
    private final List<HttpContent> held = new ArrayList<>();
    private Exchange next;
    private boolean over;

    private CheckedExchange(ClientSide client) {
        this.client = client;
    }

    /** Opens {@code then.apply(answer)} once {@code check} completes (a failed check gives null). */
    static <T> Exchange after(CompletableFuture<T> check, ClientSide client, Function<T, Exchange> then) {
        CheckedExchange<T> waiting = new CheckedExchange<>(client);
        client.suspendReading(true);
        check.whenComplete((answer, error) -> client.eventLoop().execute(
                client.guard(() -> waiting.checked(answer, then))));
        return waiting;
    }

    private void checked(T answer, Function<T, Exchange> then) {
        if (over) {
            return;
        }
        client.suspendReading(false);
        next = then.apply(answer);
        List<HttpContent> parts = new ArrayList<>(held);
        held.clear();
        parts.forEach(next::onRequestContent);
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (next != null) {
            next.onRequestContent(content);
        } else if (over) {
            content.release();
        } else {
            held.add(content);
        }
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (next != null) {
            next.abort(error, message);
        } else if (!over) {
            end();
            FullHttpResponse answer = Responses.error(error, message);
            client.respond(answer, false);
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
            end();
        }
    }

    private void end() {
        over = true;
        held.forEach(HttpContent::release);
        held.clear();
    }
}
