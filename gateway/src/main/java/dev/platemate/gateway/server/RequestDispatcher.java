package dev.platemate.gateway.server;

import io.netty.handler.codec.http.HttpRequest;

/** Chooses what serves a request: an endpoint of the gateway's own, a route, or an error. Event-loop only. */
public interface RequestDispatcher {

    /** Starts serving {@code request}, whose ownership passes to the returned exchange. */
    Exchange dispatch(HttpRequest request, ClientSide client);

    /** The bounds the connection holds a dispatched exchange to. Any thread. */
    Backstop backstop();
}
