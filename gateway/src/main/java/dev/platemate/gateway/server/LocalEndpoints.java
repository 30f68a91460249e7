package dev.platemate.gateway.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.CompletableFuture;

/** The endpoints the gateway serves itself (health, metrics, admin). Called on an event loop; must not block. */
public interface LocalEndpoints {

    /** Whether {@code path} is one of the gateway's own; such paths are never proxied. */
    boolean owns(String path);

    /**
     * The complete answer for a request to an owned path: completed at once, or later when it takes work off the
     * event loop (a reload).
     */
    CompletableFuture<FullHttpResponse> handle(HttpRequest request, String path);
}
