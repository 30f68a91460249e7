package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The AI limiter end to end: real sockets, a provider stand-in that refuses what exceeds its own limit. */
class AiLimiterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private TestGateway limited(String settings) throws Exception {
        return fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url())
                .replace("response_timeout: 2s", "response_timeout: 10s"), settings));
    }

    private static CompletableFuture<HttpResponse<String>> send(TestGateway gateway, String path, int seq) {
        return gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri(path)).header("X-Seq", "" + seq)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void fiftyConcurrentRequestsAllSucceedAndTheProviderNeverSeesMoreThanFive() throws Exception {
        TestGateway gateway = limited("max_concurrent: 5, max_queue: 100, queue_timeout: 30s");
        TestUpstream upstream = fixture.upstream();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            responses.add(send(gateway, "/api/ai?ms=50", i));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(upstream.aiMaxInFlight.get()).isBetween(1, 5);
        assertThat(upstream.aiRefused.get()).isZero();
        LimiterStats stats = gateway.gateway().limiterStats().get("ai");
        assertThat(stats.total()).isEqualTo(50);
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 0);
    }

    @Test
    void anAdaptiveCountAtItsMinPausesForTheProvidersRetryAfterRatherThanHammerIt() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 10, queue_timeout: 2500ms, "
                + "adaptive: {min: 1, max: 4}");
        fixture.upstream().aiRefuseNext.set(1000);   // every answer a 429 with Retry-After: 1

        HttpResponse<String> answer = send(gateway, "/api/ai?ms=1", 0).get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as("its queue time ran out: the provider's own 429").isEqualTo(429);
        assertThat(fixture.upstream().aiRefused.get()).as("about one try per Retry-After, not a storm")
                .isBetween(1, 4);
    }

    @Test
    void anAdaptiveCountAboveItsMinGoesOnAtOnceAfterA429() throws Exception {
        TestGateway gateway = limited("max_concurrent: 4, max_queue: 10, queue_timeout: 30s, "
                + "adaptive: {min: 1, max: 4}");
        fixture.upstream().aiRefuseNext.set(1);
        fixture.upstream().aiRetryAfter.set(20);

        HttpResponse<String> answer = send(gateway, "/api/ai?ms=1", 0).get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(gateway.gateway().limiterStats().get("ai").maxConcurrent()).as("halved for the 429").isEqualTo(2);
        assertThat(fixture.upstream().aiArrivals).hasSize(2);
        long[] first = fixture.upstream().aiArrivals.poll();
        long[] second = fixture.upstream().aiArrivals.poll();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(second[1] - first[1]))
                .as("no pause of 20 s for the Retry-After: the halving was the answer").isLessThan(10);
    }

    @Test
    void queuedRequestsAreDispatchedInArrivalOrder() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 20, queue_timeout: 30s");
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        responses.add(send(gateway, "/api/ai?ms=2000", 0)); // holds the only slot while the others queue
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
        for (int i = 1; i < 10; i++) {
            responses.add(send(gateway, "/api/ai?ms=10", i));
            int queued = i;
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == queued);
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(fixture.upstream().aiArrivals).extracting(a -> a[0])
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    @Test
    void queuedClientsThatAllLeaveAtOnceNeverReachTheProvider() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 50, queue_timeout: 30s");
        for (int trial = 0; trial < 4; trial++) {
            int holderSeq = 1000 * (trial + 1);
            CompletableFuture<HttpResponse<String>> holding = send(gateway, "/api/ai?ms=400", holderSeq);
            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
            List<RawClient> leaving = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                RawClient client = new RawClient(gateway.port());
                client.send("GET /api/ai?ms=10 HTTP/1.1\r\nHost: x\r\nX-Seq: " + (holderSeq + i) + "\r\n\r\n");
                leaving.add(client);
            }
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 12);
            for (int i = 0; i < leaving.size(); i++) {   // half of them close, half reset, all at once
                if (i % 2 == 0) {
                    leaving.get(i).close();
                } else {
                    leaving.get(i).abort();
                }
            }
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 0);
            assertThat(holding.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 0);
        }
        List<Long> reached = fixture.upstream().aiArrivals.stream().map(arrival -> arrival[0]).toList();
        assertThat(reached).containsExactly(1000L, 2000L, 3000L, 4000L);
    }

    @Test
    void whenEveryQueuedClientAndThenTheHolderLeaveAtOnceNoQueuedOneReachesTheProvider() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 50, queue_timeout: 30s");
        for (int trial = 0; trial < 6; trial++) {
            int base = 1000 * (trial + 1);
            List<RawClient> everyone = new ArrayList<>();
            RawClient holder = new RawClient(gateway.port());
            holder.send("GET /api/ai?ms=5000 HTTP/1.1\r\nHost: x\r\nX-Seq: " + base + "\r\n\r\n");
            everyone.add(holder);
            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
            for (int i = 1; i <= 12; i++) {
                RawClient client = new RawClient(gateway.port());
                client.send("GET /api/ai?ms=10 HTTP/1.1\r\nHost: x\r\nX-Seq: " + (base + i) + "\r\n\r\n");
                everyone.add(client);
            }
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 12);
            // the queued ones reset first, then the holder, in the same instant: when its slot comes free, the
            // others' resets have all reached the gateway, though not every event loop has read them yet
            for (int i = everyone.size() - 1; i >= 0; i--) {
                everyone.get(i).abort();
            }
            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 0
                    && gateway.gateway().limiterStats().get("ai").queued() == 0);
        }
        List<Long> reached = fixture.upstream().aiArrivals.stream().map(arrival -> arrival[0]).toList();
        assertThat(reached).containsExactly(1000L, 2000L, 3000L, 4000L, 5000L, 6000L);
    }

    @Test
    void aFullQueueAnswers503QueueFullWithRetryAfter() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 1, queue_timeout: 30s");
        CompletableFuture<HttpResponse<String>> holding = send(gateway, "/api/ai?ms=500", 0);
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
        CompletableFuture<HttpResponse<String>> queued = send(gateway, "/api/ai?ms=10", 1);
        await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 1);

        HttpResponse<String> refused = send(gateway, "/api/ai?ms=10", 2).get(10, TimeUnit.SECONDS);

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(refused.body()).get("error").get("type").asText()).isEqualTo("queue_full");
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isPositive();
        assertThat(holding.get().statusCode()).isEqualTo(200);
        assertThat(queued.get().statusCode()).isEqualTo(200);
        assertThat(fixture.upstream().aiArrivals).hasSize(2); // the refused one never went upstream
    }

    @Test
    void waitingLongerThanTheQueueTimeoutAnswers503QueueTimeout() throws Exception {
        TestGateway gateway = limited("max_concurrent: 1, max_queue: 10, queue_timeout: 300ms");
        CompletableFuture<HttpResponse<String>> holding = send(gateway, "/api/ai?ms=1500", 0);
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
        long started = System.nanoTime();

        HttpResponse<String> late = send(gateway, "/api/ai?ms=10", 1).get(10, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(late.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(late.body()).get("error").get("type").asText()).isEqualTo("queue_timeout");
        assertThat(late.headers().firstValue("retry-after")).isPresent();
        assertThat(holding.get().statusCode()).isEqualTo(200);
        assertThat(gateway.gateway().limiterStats().get("ai").timedOut()).isEqualTo(1);
    }

    @Test
    void providerRateLimitsAreAbsorbedAndTheProviderSeesThePause() throws Exception {
        TestGateway gateway = limited("max_concurrent: 5, max_queue: 100, queue_timeout: 30s");
        TestUpstream upstream = fixture.upstream();
        upstream.aiRefuseNext.set(3);
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            responses.add(send(gateway, "/api/ai?ms=20", i));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("server-timing").orElseThrow()).matches(
                    "queue;dur=\\d+, upstream;dur=\\d+");
        }
        assertThat(upstream.aiRefused.get()).isEqualTo(3);
        List<long[]> arrivals = new ArrayList<>(upstream.aiArrivals);
        arrivals.sort(Comparator.comparingLong(a -> a[1]));
        long firstRefusal = arrivals.get(0)[1];
        String timeline = arrivals.stream().map(a -> a[0] + "@" + (a[1] - firstRefusal) / 1_000_000 + "ms").toList()
                .toString();
        // the provider sees the pause: after its first 429, a silence of about the Retry-After (1 s). Requests
        // dispatched before that 429 came back may still arrive just after it.
        java.util.function.IntToLongFunction gapBefore = i -> arrivals.get(i)[1] - arrivals.get(i - 1)[1];
        int gapAt = 1;
        for (int i = 2; i < arrivals.size(); i++) {
            if (gapBefore.applyAsLong(i) > gapBefore.applyAsLong(gapAt)) {
                gapAt = i;
            }
        }
        assertThat(Duration.ofNanos(gapBefore.applyAsLong(gapAt))).as(timeline)
                .isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(Duration.ofNanos(arrivals.get(gapAt)[1] - firstRefusal)).as(timeline)
                .isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(arrivals).hasSize(11); // 8 requests + 3 sent again
    }

    @Test
    void whenTheQueueTimeRunsOutTheClientSeesTheProvidersOwn429() throws Exception {
        TestGateway gateway = limited("max_concurrent: 2, max_queue: 10, queue_timeout: 500ms");
        fixture.upstream().aiRefuseNext.set(1000);

        HttpResponse<String> response = send(gateway, "/api/ai?ms=10", 0).get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.body()).contains("Rate limit reached");
        assertThat(response.headers().firstValue("retry-after")).hasValue("1");
    }

    @Test
    void withoutPauseOn429TheProviders429PassesStraightThrough() throws Exception {
        TestGateway gateway = limited("max_concurrent: 2, max_queue: 10, queue_timeout: 30s, pause_on_429: false");
        fixture.upstream().aiRefuseNext.set(1);

        HttpResponse<String> response = send(gateway, "/api/ai?ms=10", 0).get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(fixture.upstream().aiArrivals).hasSize(1);
    }

    @Test
    void postBodiesAreSentAgainIntactAfterA429() throws Exception {
        TestGateway gateway = limited("max_concurrent: 2, max_queue: 10, queue_timeout: 30s");
        fixture.upstream().aiRefuseNext.set(1);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "y".repeat(200_000) + "\"}]}";

        HttpResponse<String> response = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/api/ai?ms=10"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        List<TestUpstream.Recorded> seen = new ArrayList<>(fixture.upstream().requests);
        assertThat(seen).hasSize(2).allSatisfy(r -> assertThat(r.body()).isEqualTo(body));
    }

    @Test
    void clientsThatAbortAtRandomMomentsLeaveNothingHeld() throws Exception {
        TestGateway gateway = limited("max_concurrent: 5, max_queue: 300, queue_timeout: 30s");
        ScheduledExecutorService aborter = Executors.newScheduledThreadPool(2);
        Random random = new Random(42);
        List<CompletableFuture<Void>> aborted = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                RawClient client = new RawClient(gateway.port());
                String path = i % 4 == 0 ? "/api/stream" : "/api/ai?ms=" + (20 + random.nextInt(100));
                client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Seq: " + i + "\r\n\r\n");
                CompletableFuture<Void> done = new CompletableFuture<>();
                aborter.schedule(() -> {
                    try {
                        client.abort();
                        done.complete(null);
                    } catch (Exception e) {
                        done.completeExceptionally(e);
                    }
                }, random.nextInt(400), TimeUnit.MILLISECONDS);
                aborted.add(done);
            }
            CompletableFuture.allOf(aborted.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } finally {
            aborter.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            LimiterStats stats = gateway.gateway().limiterStats().get("ai");
            assertThat(stats.active()).isZero();
            assertThat(stats.queued()).isZero();
        });
        assertThat(gateway.gateway().limiterStats().get("ai").cancelled()).isPositive();
        // TestGateway.close (after each test) checks no request in flight and no leased connection
    }

    @Test
    void atShutdownQueuedRequestsAreServedWithinTheTimeout() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 1, max_queue: 10, queue_timeout: 30s"));
        CompletableFuture<HttpResponse<String>> first = send(gateway, "/api/ai?ms=1500", 0);
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
        CompletableFuture<HttpResponse<String>> second = send(gateway, "/api/ai?ms=100", 1);
        await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 1);

        gateway.gateway().stop();

        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void atTheShutdownTimeoutTheStillQueuedGet503ShuttingDown() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url())
                .replace("shutdown_timeout: 5s", "shutdown_timeout: 300ms")
                .replace("response_timeout: 2s", "response_timeout: 10s"),
                "max_concurrent: 1, max_queue: 10, queue_timeout: 30s"));
        CompletableFuture<HttpResponse<String>> holding = send(gateway, "/api/ai?ms=3000", 0);
        await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
        CompletableFuture<HttpResponse<String>> queued = send(gateway, "/api/ai?ms=10", 1);
        await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 1);

        gateway.gateway().stop();

        HttpResponse<String> refused = queued.get(10, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(refused.body()).get("error").get("type").asText()).isEqualTo("shutting_down");
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(holding).failsWithin(Duration.ofSeconds(10)); // cut: the connection closed mid-request
    }

    @Test
    void theLimiterShowsInThePerformanceReport() throws Exception {
        TestGateway gateway = limited("max_concurrent: 3, max_queue: 10, queue_timeout: 30s");
        assertThat(send(gateway, "/api/ai?ms=10", 0).get().statusCode()).isEqualTo(200);

        var report = JSON.readTree(gateway.get("/health/performance").body());

        assertThat(report.get("ai_limiter").get("max_concurrent").asInt()).isEqualTo(3);
        assertThat(report.get("ai_limiter").get("total_operations").asInt()).isEqualTo(1);
        assertThat(report.get("ai_limiter").get("available_slots").asInt()).isEqualTo(3);
        assertThat(report.get("limiters").get("ai").get("queued").asInt()).isZero();
        assertThat(report.get("limiters").get("ai").has("wait_p99_ms")).isTrue();
    }
}
