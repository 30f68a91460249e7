package dev.platemate.gateway.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Warm, pooled, bounded upstream connections, over plain HTTP and TLS. */
class UpstreamPoolTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void hundredSequentialRequestsUseAtMostTwoConnections(boolean tls) throws Exception {
        try (TestUpstream upstream = tls ? TestUpstream.tls() : TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()))) {
            for (int i = 0; i < 100; i++) {
                HttpResponse<String> response = gateway.get("/api/json?size=1024");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).hasSize(1024);
            }
            assertThat(upstream.accepted.get()).isBetween(1, 2);
            assertThat(gateway.upstream("test").opened()).isEqualTo(upstream.accepted.get());
        }
    }

    @Test
    void performanceReportShowsTheRealPool() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()))) {
            gateway.get("/api/json?size=10");
            JsonNode report = JSON.readTree(gateway.get("/health/performance").body());

            assertThat(report.get("status").asText()).isEqualTo("ok");
            assertThat(report.get("http_clients").get("initialized").asBoolean()).isTrue();
            assertThat(report.get("http_clients").get("clients_available").asInt()).isEqualTo(1);
            assertThat(report.get("connection_pool").get("idle_connections").asInt()).isEqualTo(1);
            assertThat(report.get("connection_pool").get("active_connections").asInt()).isZero();
            JsonNode test = report.get("upstreams").get("test");
            assertThat(test.get("opened").asInt()).isEqualTo(1);
            assertThat(test.get("idle").asInt()).isEqualTo(1);
            assertThat(test.get("circuit").asText()).isEqualTo("closed");
            assertThat(report.get("ai_limiter").get("max_concurrent").asInt()).isZero();
            assertThat(report.get("cache").get("entries").asInt()).isZero();
        }
    }

    @Test
    void maxRequestsPerConnectionRetiresConnections() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "pool:\n  max_requests_per_connection: 2"))) {
            for (int i = 0; i < 6; i++) {
                assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
            }
            assertThat(upstream.accepted.get()).isEqualTo(3);
        }
    }

    @Test
    void idleConnectionsAreClosedAfterThePoolIdleTimeout() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "pool:\n  idle_timeout: 300ms"))) {
            gateway.get("/api/json?size=5");
            assertThat(upstream.accepted.get()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.closed.get() == 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.upstream("test").idle() == 0);
            assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
            assertThat(upstream.accepted.get()).isEqualTo(2);
        }
    }

    @Test
    void maxConnectionsIsHeldAndWaitersAreServedInTurn() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "pool:\n  max_connections: 2\n  max_pending: 100"))) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                responses.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri("/api/slow?ms=50"))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> response : responses) {
                assertThat(response.get().statusCode()).isEqualTo(200);
            }
            // two connections carry one request each at a time: never more than two at the upstream, and both used
            assertThat(upstream.slowMaxInFlight.get()).isEqualTo(2);
        }
    }

    @Test
    void beyondMaxPendingTheAnswerIsPoolExhausted() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "pool:\n  max_connections: 1\n  max_pending: 0"))) {
            CompletableFuture<HttpResponse<String>> first = gateway.client().sendAsync(
                    HttpRequest.newBuilder(gateway.uri("/api/slow?ms=1000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.upstream("test").active() == 1);

            HttpResponse<String> second = gateway.get("/api/json?size=5");

            assertThat(second.statusCode()).isEqualTo(503);
            assertThat(second.headers().firstValue("retry-after")).hasValue("1");
            assertThat(JSON.readTree(second.body()).get("error").get("type").asText()).isEqualTo("pool_exhausted");
            assertThat(first.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aStalePooledConnectionIsRetriedOnAFreshOne() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()))) {
            assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
            upstream.dropNextReusedRequest.set(true);

            HttpResponse<String> response = gateway.post("/api/echo/retry", "{\"same\":\"body\"}");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).get("body").asText()).isEqualTo("{\"same\":\"body\"}");
            assertThat(upstream.accepted.get()).isEqualTo(2);
        }
    }
}
