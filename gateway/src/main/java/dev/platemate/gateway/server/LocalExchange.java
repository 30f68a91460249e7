package dev.platemate.gateway.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;

/** An exchange answered by the gateway itself with one complete response; any request body is discarded. */
public final class LocalExchange implements Exchange {

    LocalExchange() {
    }

    /** Writes {@code response} at once; the connection stays open only if {@code keepAlive} and the client allow. */
    public static Exchange respond(ClientSide client, FullHttpResponse response, boolean keepAlive) {
        client.respond(response, keepAlive);
        return new LocalExchange();
    }

    @Override
    public void onRequestContent(HttpContent content) {
        content.release();
    }

    @Override
    public void abort(GatewayError error, String message) {
        // the response is already written; the connection closes after it
    }

    @Override
    public void onClientWritabilityChanged() {
    }

    @Override
    public void onClientClosed() {
    }
}
