package dev.platemate.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Rate limits, the circuit breaker and retries, end to end over real sockets. */
class ResilienceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private TestGateway with(String upstreamExtra) throws Exception {
        return fixture.restart(TestGateway.config(fixture.upstream().url(), upstreamExtra));
    }

    private static String type(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("error").get("type").asText();
    }

    @Test
    void beyondTheUpstreamRateTheAnswerIs429WithRateLimitHeaders() throws Exception {
        TestGateway gateway = with("rate_limit: {requests: 2, per: 1m}");
        assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        HttpResponse<String> second = gateway.get("/api/json?size=5");
        HttpResponse<String> refused = gateway.get("/api/json?size=5");

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(type(refused)).isEqualTo("rate_limited");
        assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
        assertThat(refused.headers().firstValue("ratelimit-limit")).hasValue("2");
        assertThat(refused.headers().firstValue("ratelimit-remaining")).hasValue("0");
        assertThat(refused.headers().firstValue("ratelimit-reset")).isPresent();
        assertThat(fixture.upstream().requests).hasSize(2);
    }

    @Test
    void aRequestBeyondTheRateWaitsUpToMaxWaitForAToken() throws Exception {
        TestGateway gateway = with("rate_limit: {requests: 1, per: 500ms, max_wait: 3s}");
        assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        long started = System.nanoTime();
        assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void onALimitedRouteARequestWaitingForATokenWaitsInTheQueue() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url(),
                "rate_limit: {requests: 1, per: 400ms}"), "max_concurrent: 5, max_queue: 10, queue_timeout: 10s"));
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            responses.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri("/api/ai?ms=10"))
                    .header("X-Seq", "" + i).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200); // no 429: they queued
        }
        List<long[]> arrivals = new ArrayList<>(fixture.upstream().aiArrivals);
        arrivals.sort(java.util.Comparator.comparingLong(a -> a[1]));
        assertThat(arrivals).hasSize(3);
        for (int i = 1; i < 3; i++) { // the provider sees the rate: one per 400 ms
            assertThat(Duration.ofNanos(arrivals.get(i)[1] - arrivals.get(i - 1)[1]))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
    }

    @Test
    void perCallerLimitsKeepCallersApart() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url()).replace("routes:\n",
                "rate_limits:\n  - {key: \"header:X-Client-Id\", requests: 2, per: 1m}\nroutes:\n"));
        HttpRequest.Builder alice = HttpRequest.newBuilder(gateway.uri("/api/json?size=5")).header("X-Client-Id", "a");
        HttpRequest.Builder bob = HttpRequest.newBuilder(gateway.uri("/api/json?size=5")).header("X-Client-Id", "b");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(gateway.client().send(alice.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        HttpResponse<String> bobs = gateway.client().send(bob.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(statuses).containsExactly(200, 200, 429);
        assertThat(bobs.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream().requests).hasSize(3);
    }

    @Test
    void theBreakerOpensFailsFastHalfOpensAndCloses() throws Exception {
        TestGateway gateway = with("circuit_breaker: {failure_threshold: 3, open_for: 1s}");
        for (int i = 0; i < 3; i++) {
            assertThat(gateway.get("/api/status/500").statusCode()).isEqualTo(500);
        }
        int seen = fixture.upstream().requests.size();

        HttpResponse<String> fast = gateway.get("/api/json?size=5");

        assertThat(fast.statusCode()).isEqualTo(503);
        assertThat(type(fast)).isEqualTo("circuit_open");
        assertThat(fast.headers().firstValue("retry-after")).hasValue("1");
        assertThat(fixture.upstream().requests).hasSize(seen); // not contacted
        assertThat(JSON.readTree(gateway.get("/health/performance").body()).get("upstreams").get("test")
                .get("circuit").asText()).isEqualTo("open");

        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.get("/api/json?size=5").statusCode() == 200);
        assertThat(gateway.gateway().breaker("test").state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(JSON.readTree(gateway.get("/health/performance").body()).get("upstreams").get("test")
                .get("circuit").asText()).isEqualTo("closed");
    }

    @Test
    void idempotentRequestsAreRetriedOn503AndPostsAreNot() throws Exception {
        TestGateway gateway = with("retries: 1");
        HttpResponse<String> get = gateway.get("/api/flaky");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("up");
        assertThat(fixture.upstream().flakyServed.get()).isEqualTo(2);

        fixture.upstream().flakyServed.set(0);
        HttpResponse<String> post = gateway.post("/api/flaky", "{}");
        assertThat(post.statusCode()).isEqualTo(503);
        assertThat(post.body()).isEqualTo("down"); // the upstream's own answer
        assertThat(fixture.upstream().flakyServed.get()).isEqualTo(1);
    }

    @Test
    void noRetriesMeansNone() throws Exception {
        TestGateway gateway = with("retries: 0");
        assertThat(gateway.get("/api/flaky").statusCode()).isEqualTo(503);
        assertThat(fixture.upstream().flakyServed.get()).isEqualTo(1);
    }

    @Test
    void aLongRetryAfterIsHonouredByNotRetrying() throws Exception {
        TestGateway gateway = with("retries: 2");
        HttpResponse<String> response = gateway.get("/api/flaky?retry_after=30");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).hasValue("30");
        assertThat(fixture.upstream().flakyServed.get()).isEqualTo(1);
    }

    @Test
    void theRetryBudgetCapsRetriesWhenHalfTheRequestsFail() throws Exception {
        // a breaker that tolerates the failures, so that only the budget limits the retries
        TestGateway gateway = with("retries: 3\npool: {max_connections: 200}\n"
                + "circuit_breaker: {failure_threshold: 1000}");
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            responses.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri("/api/flaky?ms=100")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            int status = response.get(30, TimeUnit.SECONDS).statusCode();
            assertThat(status).isIn(200, 503);
            ok += status == 200 ? 1 : 0;
        }
        int retries = fixture.upstream().flakyServed.get() - 100;
        // unbudgeted, about 50 of the 100 would be retried at once (and again); the budget allows a fifth in flight
        assertThat(retries).isPositive().isLessThan(50);
        assertThat(ok).isGreaterThan(50);
    }
}
