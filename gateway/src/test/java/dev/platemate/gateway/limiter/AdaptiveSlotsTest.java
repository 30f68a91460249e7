package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubControls;
import dev.platemate.gateway.stub.StubUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An adaptive limiter in front of the stand-in provider whose concurrency limit moves from 5 to 10 to 3 while 40
 * users keep asking: the slot count follows it down and up, every user gets a 200, and the provider's 429s stay a
 * small share of what it served. The stub's limit changes through its own admin path.
 */
class AdaptiveSlotsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";

    private final HttpClient http = HttpClient.newHttpClient();

    private int slots(TestGateway gateway) throws Exception {
        JsonNode limiter = JSON.readTree(gateway.get("/health/performance").body()).path("limiters").path("ai");
        return limiter.path("max_concurrent").asInt();
    }

    private void limitProvider(int port, int max) throws Exception {
        HttpResponse<String> set = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/stub/limit?max_concurrent=" + max))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(set.body()).contains("\"max_concurrent\":" + max);
    }

    @Test
    void theSlotCountFollowsTheProvidersLimitAndNoUserSeesA429() throws Exception {
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(40), 5,
                Duration.ofMillis(1), 0, StubControls.Failure.NONE), Transport.detect())) {
            int port = stub.start("127.0.0.1", 0, 0)[1].getPort();
            try (TestGateway gateway = TestGateway.start("""
                    server:
                      listen: 127.0.0.1:0
                    upstreams:
                      openai:
                        url: http://127.0.0.1:%d
                        retries: 0
                    limiters:
                      ai:
                        max_concurrent: 8
                        max_queue: 500
                        queue_timeout: 60s
                        adaptive: {min: 2, max: 16}
                    routes:
                      - path: /openai/
                        upstream: openai
                        limiter: ai
                    """.formatted(port))) {
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger ok = new AtomicInteger();
                List<Integer> others = new java.util.concurrent.CopyOnWriteArrayList<>();
                List<CompletableFuture<Void>> users = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    users.add(user(gateway.uri("/openai/v1/chat/completions"), running, ok, others));
                }

                await().atMost(Duration.ofSeconds(60)).until(() -> slots(gateway) <= 5 && ok.get() > 100);
                limitProvider(port, 10);
                await().atMost(Duration.ofSeconds(60)).until(() -> slots(gateway) >= 9);
                limitProvider(port, 3);
                await().atMost(Duration.ofSeconds(60)).until(() -> slots(gateway) <= 3);
                int before = ok.get();
                await().atMost(Duration.ofSeconds(60)).until(() -> ok.get() > before + 100);

                running.set(false);
                CompletableFuture.allOf(users.toArray(CompletableFuture[]::new)).join();
                assertThat(others).as("no user saw anything but 200").isEmpty();
                assertThat(stub.aiRejected()).as("provider 429s, a small share of what it served")
                        .isLessThan(stub.aiServed() / 10);
                JsonNode adaptive = JSON.readTree(gateway.get("/health/performance").body())
                        .path("limiters").path("ai").path("adaptive");
                assertThat(adaptive.path("min").asInt()).isEqualTo(2);
                assertThat(adaptive.path("max").asInt()).isEqualTo(16);
                assertThat(adaptive.path("last_change").path("reason").asText()).isNotEmpty();
                assertThat(gateway.get("/metrics").body()).containsPattern(
                        "gateway_limiter_max_concurrent\\{limiter=\"ai\"} [0-9.]+");
            }
        }
    }

    /** One user: asks, and asks again as soon as it is answered, until told to stop. */
    private CompletableFuture<Void> user(URI uri, AtomicBoolean running, AtomicInteger ok, List<Integer> others) {
        if (!running.get()) {
            return CompletableFuture.completedFuture(null);
        }
        return http.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ASK))
                        .build(), HttpResponse.BodyHandlers.discarding())
                .thenCompose(answer -> {
                    if (answer.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else {
                        others.add(answer.statusCode());
                    }
                    return user(uri, running, ok, others);
                });
    }
}
