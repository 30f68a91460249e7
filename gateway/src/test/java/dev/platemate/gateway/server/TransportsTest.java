package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import dev.platemate.gateway.testing.WebSocketClient;
import dev.platemate.gateway.testing.WebSocketUpstream;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway on each transport GATEWAY_TRANSPORT may name: proxied HTTP over TLS, a cache-free plain answer and a
 * WebSocket session all work the same; one that does not load here gives the default, never a failure.
 */
class TransportsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void everyTransportServesRequestsAndSessions(String name) throws Exception {
        Transport transport = Transport.detect(name);
        boolean loads = switch (name) {
            case "io_uring" -> IoUring.isAvailable();
            case "epoll" -> Epoll.isAvailable();
            default -> true;
        };
        assertThat(transport.name()).isEqualTo(loads ? name : Transport.detect(null).name());
        try (TestUpstream https = TestUpstream.tls(); WebSocketUpstream ws = WebSocketUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(https.url()).replace("routes:\n",
                     "  ws: {url: \"" + ws.url() + "\"}\nroutes:\n  - {path: /ws/, upstream: ws, websocket: true}\n"),
                     transport)) {
            HttpResponse<String> answer = gateway.get("/api/json?size=3000");
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).hasSize(3000);
            try (WebSocketClient client = WebSocketClient.connect(URI.create("ws://127.0.0.1:" + gateway.port()
                    + "/ws/echo"))) {
                client.sendText("over " + name);
                assertThat(client.next().text()).isEqualTo("over " + name);
                client.close(1000, "");
                client.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void anUnknownNameGivesTheDefault() {
        assertThat(Transport.detect("kqueue").name()).isEqualTo(Transport.detect(null).name());
    }

    @org.junit.jupiter.api.Test
    void theDefaultIsIoUringWhereItLoadsElseEpollElseNio() {
        assertThat(Transport.detect(null).name()).isEqualTo(IoUring.isAvailable() ? "io_uring"
                : Epoll.isAvailable() ? "epoll" : "nio");
        assertThat(Transport.detect("").name()).isEqualTo(Transport.detect(null).name());
    }
}
