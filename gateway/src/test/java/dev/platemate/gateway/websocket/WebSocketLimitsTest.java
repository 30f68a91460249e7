package dev.platemate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.WebSocketClient;
import dev.platemate.gateway.testing.WebSocketUpstream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session's limits (message size, idle time, session time, the limiter slot), backpressure towards a slow reader,
 * shutdown with sessions open, and what the books show of sessions.
 */
class WebSocketLimitsTest extends WebSocketFixture {

    private static final ObjectMapper JSON = new ObjectMapper();

    private void start(String routeExtra) throws Exception {
        start(false, routeExtra, "");
    }

    @Test
    void aMessageOverMaxMessageSizeGets1009AndTheOtherSide1001() throws Exception {
        start("max_message_size: 64KiB");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            client.send(new BinaryWebSocketFrame(WebSocketClient.pattern(60 * 1024)));
            assertThat(client.next().payload()).hasSize(60 * 1024);   // under the limit: passes
            client.send(new BinaryWebSocketFrame(WebSocketClient.pattern(65 * 1024)));
            WebSocketClient.Received close = client.next();
            assertThat(close.kind()).isEqualTo("close");
            assertThat(close.closeCode()).isEqualTo(1009);
            assertThat(upstream.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(1001);
            client.closed.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFragmentedMessageCountsWhole() throws Exception {
        start("max_message_size: 64KiB");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            client.send(new BinaryWebSocketFrame(false, 0, WebSocketClient.pattern(40 * 1024)));
            assertThat(client.next().fin()).isFalse();
            client.send(new ContinuationWebSocketFrame(true, 0, WebSocketClient.pattern(40 * 1024)));
            assertThat(client.next().closeCode()).isEqualTo(1009);
            assertThat(upstream.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(1001);
        }
    }

    @Test
    void noFrameWithinIdleTimeoutCloses1001ToBoth() throws Exception {
        start("idle_timeout: 1s");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            client.sendText("still here");
            assertThat(client.next().text()).isEqualTo("still here");
            WebSocketClient.Received close = client.next();   // within a second or so of silence
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(close.closeReason()).contains("idle_timeout");
            assertThat(upstream.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(1001);
            client.closed.get(10, TimeUnit.SECONDS);   // cut after the close wait, or when both answered
        }
    }

    @Test
    void aSessionEndsAtMaxSessionEvenWhenBusy() throws Exception {
        start("max_session: 2s");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            long started = System.nanoTime();
            WebSocketClient.Received frame;
            do {
                client.sendText("busy");
                frame = client.next();
            } while (frame.kind().equals("text"));
            assertThat(frame.closeCode()).isEqualTo(1001);
            assertThat(frame.closeReason()).contains("max_session");
            assertThat(System.nanoTime() - started).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1500));
        }
    }

    @Test
    void aSlowReaderStopsTheGatewayReadingTheUpstream() throws Exception {
        start("max_message_size: 64KiB");
        long total = 64L * 1024 * 1024;
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/flood?bytes=" + total + "&size=65536"),
                new DefaultHttpHeaders(), null, false)) {
            AtomicLong seen = new AtomicLong(-1);   // stalled: nothing more sent between two looks
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                    upstream.finished.get() || upstream.blocked.get() && seen.getAndSet(upstream.sent.get())
                            == upstream.sent.get());
            assertThat(upstream.finished.get()).as("the upstream could send it all while the client read nothing")
                    .isFalse();
            assertThat(upstream.sent.get()).isLessThan(total / 2);
            client.startReading();
            await().atMost(Duration.ofSeconds(30)).until(() -> client.receivedBytes.get() >= total);
            assertThat(client.receivedBytes.get()).isEqualTo(total);
            client.close(1000, "");
        }
    }

    @Test
    void aPeerThatReadsNothingIsCutOnceTheCloseHadItsTime() throws Exception {
        start("max_message_size: 64KiB\nidle_timeout: 1s");
        long total = 64L * 1024 * 1024;
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/flood?bytes=" + total + "&size=65536"),
                new DefaultHttpHeaders(), null, false)) {
            // everything stalls on the client, so nothing moves: idle, then closes that cannot be flushed; the
            // gateway lets go of both connections all the same
            await().atMost(Duration.ofSeconds(30)).until(() -> upstream.open.get() == 0
                    && gateway.gateway().lifecycle().inFlight() == 0);
            gateway.awaitQuiet();
        }
    }

    @Test
    void aSessionHoldsItsLimiterSlotForItsLife() throws Exception {
        start(false, "limiter: ai", "max_concurrent: 1, max_queue: 5, queue_timeout: 1s");
        try (WebSocketClient first = WebSocketClient.connect(ws("/ws/echo"))) {
            assertThat(gateway.gateway().limiterStats().get("ai").active()).isEqualTo(1);
            try (RawClient second = new RawClient(gateway.port())) {
                second.send(handshake("/ws/echo", ""));
                String head = second.readHead();
                assertThat(head).startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after:");
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
                assertThat(second.readBytes(length)).contains("\"type\":\"queue_timeout\"");
            }
            // a third waits in the queue, and gets the slot once the first session closes
            CompletableFuture<WebSocketClient> third = CompletableFuture.supplyAsync(() -> {
                try {
                    return WebSocketClient.connect(ws("/ws/echo"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    gateway.gateway().limiterStats().get("ai").queued() == 1);
            first.close(1000, "");
            try (WebSocketClient got = third.get(10, TimeUnit.SECONDS)) {
                got.sendText("my turn");
                assertThat(got.next().text()).isEqualTo("my turn");
                got.close(1000, "");
                got.closed.get(10, TimeUnit.SECONDS);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.gateway().limiterStats().get("ai").active() == 0);
    }

    @Test
    void onShutdownOpenSessionsHearGoingAway() throws Exception {
        start("");
        WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"));
        try {
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
                try {
                    gateway.gateway().stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            WebSocketClient.Received close = client.next();
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(upstream.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(1001);
            client.close(1001, "");
            stopping.get(20, TimeUnit.SECONDS);
            assertThat(gateway.gateway().lifecycle().inFlight()).isZero();
        } finally {
            client.close();
            gateway = null;   // stopped already
        }
    }

    @Test
    void aSessionThatSwitchesWhileTheGatewayDrainsHearsGoingAway() throws Exception {
        start("");
        CompletableFuture<WebSocketClient> connecting = CompletableFuture.supplyAsync(() -> {
            try {
                return WebSocketClient.connect(ws("/ws/slow?ms=1500"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> !upstream.handshakes.isEmpty());
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
            try {
                gateway.gateway().stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (WebSocketClient client = connecting.get(10, TimeUnit.SECONDS)) {
            assertThat(client.next().closeCode()).isEqualTo(1001);
            client.close(1001, "");
            stopping.get(20, TimeUnit.SECONDS);
        } finally {
            gateway = null;   // stopped already
        }
    }

    @Test
    void theGatewaysCloseWaitsForTheFramePassingPartWay() throws Exception {
        start("max_message_size: 16MiB");
        int size = 8 * 1024 * 1024;
        WebSocketClient client = WebSocketClient.connect(ws("/ws/flood?bytes=" + size + "&size=" + size),
                new DefaultHttpHeaders(), null, false);
        try {
            // the client reads nothing: the one large frame stops part way through the gateway, which stops
            // reading it (the gateway's books show the message's head only: it counts as it starts)
            await().atMost(Duration.ofSeconds(30)).until(() -> upstream.finished.get()
                    && gateway.gateway().lifecycle().inFlight() == 1);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
                try {
                    gateway.gateway().stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.gateway().lifecycle().draining());
            client.startReading();
            WebSocketClient.Received frame = client.next();
            assertThat(frame.kind()).isEqualTo("binary");
            assertThat(frame.payload()).hasSize(size);
            WebSocketClient.Received close = client.next();
            assertThat(close.kind()).as("the close after the whole frame, not inside it").isEqualTo("close");
            assertThat(close.closeCode()).isEqualTo(1001);
            client.close(1001, "");
            stopping.get(20, TimeUnit.SECONDS);
        } finally {
            client.close();
            gateway = null;   // stopped already
        }
    }

    @Test
    void theBooksShowWhatSessionsCarried() throws Exception {
        start("");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            for (int i = 0; i < 3; i++) {
                client.sendText("12345");
                client.next();
            }
            JsonNode during = JSON.readTree(gateway.get("/health/performance").body()).path("websockets");
            assertThat(during.path("open").asInt()).isEqualTo(1);
            client.close(1000, "done");
            client.closed.get(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode route = JSON.readTree(gateway.get("/health/performance").body()).path("websockets")
                    .path("routes").path("/ws/");
            assertThat(route.path("open").asInt()).isZero();
            assertThat(route.path("opened").asInt()).isEqualTo(1);
            assertThat(route.path("messages").path("client_to_upstream").asInt()).isEqualTo(3);
            assertThat(route.path("messages").path("upstream_to_client").asInt()).isEqualTo(3);
            assertThat(route.path("bytes").path("client_to_upstream").asInt()).isEqualTo(15);
            assertThat(route.path("closes").path("1000").asInt()).isEqualTo(1);
        });
        String metrics = gateway.get("/metrics").body();
        assertThat(metrics).contains("gateway_websocket_sessions{route=\"/ws/\"} 0.0")
                .contains("gateway_websocket_opened_total{route=\"/ws/\"} 1.0")
                .contains("gateway_websocket_messages_total{direction=\"client_to_upstream\",route=\"/ws/\"} 3.0")
                .contains("gateway_websocket_bytes_total{direction=\"upstream_to_client\",route=\"/ws/\"} 15.0")
                .contains("gateway_websocket_closes_total{by=\"client\",code=\"1000\",route=\"/ws/\"} 1.0")
                .contains("gateway_websocket_session_duration_seconds_count{route=\"/ws/\"} 1");
    }
}
