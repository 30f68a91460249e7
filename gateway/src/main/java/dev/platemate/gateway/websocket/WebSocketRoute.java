package dev.platemate.gateway.websocket;

import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.config.WebSocketConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.resilience.UpstreamProtection;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetAddress;

/**
 * What a {@code websocket: true} route's sessions use: its prefix and limits, the upstream's pool, head rewrite,
 * protection and managed token (null when none), the route's limiter (null when none), and the books. Immutable;
 * one per route.
 *
 * @param sendWithinNanos the longest a handshake may wait, once it has its token, before it is sent
 */
public record WebSocketRoute(String prefix, WebSocketConfig config, UpstreamPool pool, HeadRewrite rewrite,
                             UpstreamProtection protection, TokenSource credentials, long sendWithinNanos,
                             Limiter limiter, SessionBook book, Ticker ticker) {

    /** Makes a client's request head ready to go upstream as {@code target}, as for any request of the upstream. */
    public interface HeadRewrite {
        void prepare(HttpRequest request, String target, InetAddress peer);
    }
}
