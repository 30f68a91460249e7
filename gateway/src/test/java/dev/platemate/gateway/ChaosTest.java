package dev.platemate.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.limiter.LimiterStats;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two thousand requests mixing normal answers, upstream resets, upstream hangs, endless streams and clients that
 * give up at any moment. Every request the client waits for ends with an answer or a cut, never a hang; afterwards
 * nothing is held: no slot, no queued request, no leased connection, no leaked buffer.
 */
class ChaosTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    @Test
    void nothingIsLostOrLeftHeld() throws Exception {
        // the injected hangs are answers to give (504), not an outage: the breaker must not trip on them
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url(),
                "circuit_breaker: {failure_threshold: 100000}")
                .replace("response_timeout: 2s", "response_timeout: 1s")
                .replace("idle_timeout: 2s", "idle_timeout: 1s"), "max_concurrent: 16, max_queue: 500, queue_timeout: 20s"));
        ExecutorService clients = Executors.newFixedThreadPool(32);
        Random seeds = new Random(7);
        List<Future<String>> outcomes = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                long seed = seeds.nextLong();
                outcomes.add(clients.submit(() -> oneRequest(gateway.port(), new Random(seed))));
            }
            List<String> kinds = new ArrayList<>();
            for (Future<String> outcome : outcomes) {
                kinds.add(outcome.get(60, TimeUnit.SECONDS));
            }
            assertThat(kinds).doesNotContain("unexpected");
            assertThat(kinds).contains("200", "504", "cut", "aborted");
        } finally {
            clients.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            LimiterStats stats = gateway.gateway().limiterStats().get("ai");
            assertThat(stats.active()).isZero();
            assertThat(stats.queued()).isZero();
        });
        // closing the fixture then checks: no request in flight, no leased connection, no waiter, no leak
    }

    /** One client, one request of a random kind. @return how it ended */
    private static String oneRequest(int port, Random random) throws IOException {
        int kind = random.nextInt(100);
        String path = kind < 40 ? "/api/json?size=" + (1 + random.nextInt(50_000))
                : kind < 55 ? "/api/reset"
                : kind < 65 ? "/api/hang"
                : kind < 80 ? "/api/stream"
                : "/api/ai?ms=" + random.nextInt(50);
        try (RawClient client = new RawClient(port)) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            if (kind >= 90 || path.equals("/api/stream")) {
                if (path.equals("/api/stream")) {
                    client.readHead();
                    client.readBytes(1 + random.nextInt(200));
                }
                client.abort(); // gives up at a random moment
                return "aborted";
            }
            String all = client.readToEnd();
            if (all.startsWith("HTTP/1.1 200")) {
                return path.equals("/api/reset") ? "cut" : "200";
            }
            if (all.startsWith("HTTP/1.1 504") && path.equals("/api/hang")) {
                return "504";
            }
            if (all.startsWith("HTTP/1.1 502") && path.equals("/api/reset")) {
                return "cut";
            }
            return "unexpected";
        }
    }
}
