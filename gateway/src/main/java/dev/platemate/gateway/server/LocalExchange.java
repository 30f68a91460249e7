package dev.platemate.gateway.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import java.util.concurrent.CompletableFuture;

/**
 * An exchange answered by the gateway itself with one complete response, now or when a future completes (an
 * answer worked out off the event loop); any request body is discarded.
 */
public final class LocalExchange implements Exchange {

    private final ClientSide client;
    private boolean clientClosed;

    private LocalExchange(ClientSide client) {
        this.client = client;
    }

    /** Writes {@code response} at once; the connection stays open only if {@code keepAlive} and the client allow. */
    public static Exchange respond(ClientSide client, FullHttpResponse response, boolean keepAlive) {
        client.respond(response, keepAlive);
        return new LocalExchange(client);
    }

    /**
     * Writes the answer when it is ready, on the client's event loop; an answer for a client that has left is
     * released. A failed future is answered 500.
     */
    public static Exchange respond(ClientSide client, CompletableFuture<FullHttpResponse> answer,
                                   boolean keepAlive) {
        if (answer.isDone() && !answer.isCompletedExceptionally()) {
            return respond(client, answer.join(), keepAlive);
        }
        LocalExchange exchange = new LocalExchange(client);
        answer.whenComplete((response, error) -> client.eventLoop().execute(client.guard(() ->
                exchange.deliver(error == null ? response : Responses.error(GatewayError.INTERNAL_ERROR,
                        "the gateway could not answer: " + error), keepAlive))));
        return exchange;
    }

    private void deliver(FullHttpResponse response, boolean keepAlive) {
        if (clientClosed) {
            response.release();
        } else {
            client.respond(response, keepAlive);
        }
    }

    @Override
    public void onRequestContent(HttpContent content) {
        content.release();
    }

    @Override
    public void abort(GatewayError error, String message) {
        // the response is written, or will be; the connection closes after it
    }

    @Override
    public void onClientWritabilityChanged() {
    }

    @Override
    public void onClientClosed() {
        clientClosed = true;
    }
}
