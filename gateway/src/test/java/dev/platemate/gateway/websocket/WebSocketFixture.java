package dev.platemate.gateway.websocket;

import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import dev.platemate.gateway.testing.WebSocketUpstream;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;

/**
 * A {@link WebSocketUpstream} (plain or TLS) with a gateway in front of it: route {@code /ws/} with
 * {@code websocket: true} and {@code /plain/} without, to upstream {@code ws}; both closed after each test, which
 * checks nothing is left held.
 */
abstract class WebSocketFixture {

    WebSocketUpstream upstream;
    TestGateway gateway;

    static String config(String upstreamUrl, String routeExtra) throws Exception {
        return """
                server:
                  listen: 127.0.0.1:0
                  shutdown_timeout: 5s
                upstreams:
                  ws:
                    url: %s
                    connect_timeout: 1s
                    response_timeout: 2s
                    idle_timeout: 2s
                    tls:
                      ca_file: %s
                    headers:
                      Authorization: Bearer sk-ws-secret
                routes:
                  - path: /ws/
                    upstream: ws
                    websocket: true
                %s
                  - path: /plain/
                    upstream: ws
                """.formatted(upstreamUrl, TestUpstream.certificateFile(), routeExtra.indent(4).stripTrailing());
    }

    /**
     * @param routeExtra lines under the {@code /ws/} route
     * @param limiter    a limiter named {@code ai} with these keys in flow style, or empty for none
     */
    void start(boolean tls, String routeExtra, String limiter) throws Exception {
        upstream = tls ? WebSocketUpstream.tls() : WebSocketUpstream.plain();
        String yaml = config(upstream.url(), routeExtra);
        if (!limiter.isEmpty()) {
            yaml = yaml.replace("routes:\n", "limiters:\n  ai: {" + limiter + "}\nroutes:\n");
        }
        gateway = TestGateway.start(yaml);
    }

    URI ws(String path) {
        return URI.create("ws://127.0.0.1:" + gateway.port() + path);
    }

    static String handshake(String path, String extra) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n";
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
        }
    }
}
