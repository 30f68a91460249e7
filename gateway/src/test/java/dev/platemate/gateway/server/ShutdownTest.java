package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: stop accepting, report not ready, let in-flight requests finish, then go. */
class ShutdownTest {

    @Test
    void inFlightRequestsFinishWhileNewConnectionsAreRefused() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()));
             RawClient client = new RawClient(gateway.port());
             RawClient idle = new RawClient(gateway.port())) {
            client.send("GET /api/slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> upstream.requests.size() == 1);

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    gateway.gateway().stop();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().until(() -> gateway.gateway().lifecycle().draining());

            assertThat(gateway.gateway().lifecycle().ready()).isFalse();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket("127.0.0.1", gateway.port()).close())
                            .isInstanceOf(ConnectException.class));
            assertThat(idle.closedByServer()).isTrue(); // idle keep-alive connections go at once
            String head = client.readHead();
            assertThat(head).startsWith("HTTP/1.1 200").contains("connection: close");
            assertThat(client.readBytes(4)).isEqualTo("slow");
            stopped.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void requestsStillRunningAtTheShutdownTimeoutAreCut() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url())
                     .replace("shutdown_timeout: 5s", "shutdown_timeout: 300ms")
                     .replace("response_timeout: 2s", "response_timeout: 30s"));
             RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/hang HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> upstream.requests.size() == 1);
            long started = System.nanoTime();

            gateway.gateway().stop();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(client.closedByServer()).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.open.get() == 0);
        }
    }
}
