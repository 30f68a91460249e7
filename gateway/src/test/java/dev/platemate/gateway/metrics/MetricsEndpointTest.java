package dev.platemate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /metrics}: Prometheus text with the pools, the breaker, the cache, JVM and Netty memory. */
class MetricsEndpointTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    @Test
    void theCircuitStateAndPoolsAreExported() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url(),
                "circuit_breaker: {failure_threshold: 1, open_for: 1m}\nretries: 0"));
        gateway.get("/api/json?size=5");
        gateway.get("/api/status/500");

        HttpResponse<String> metrics = gateway.get("/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("gateway_upstream_circuit_state{upstream=\"test\"} 2.0")
                .contains("gateway_upstream_circuit_opened_total{upstream=\"test\"} 1.0")
                .contains("gateway_upstream_connects_total{upstream=\"test\"} 1.0")
                .contains("gateway_upstream_connections{state=\"idle\",upstream=\"test\"} 1.0")
                .contains("gateway_cache_entries 0.0")
                .contains("gateway_netty_memory_used_bytes{area=\"direct\"}")
                .contains("jvm_memory_used_bytes");
    }

    @Test
    void requestsAreCountedAndTimedByRouteAndStatus() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url(), "retries: 0"));
        for (int i = 0; i < 3; i++) {
            assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        }
        assertThat(gateway.get("/api/status/404").statusCode()).isEqualTo(404);
        assertThat(gateway.get("/nowhere").statusCode()).isEqualTo(404);

        String metrics = gateway.get("/metrics").body();

        assertThat(metrics)
                .contains("gateway_requests_seconds_count{route=\"/api/\",status=\"200\",upstream=\"test\"} 3")
                .contains("gateway_requests_seconds_count{route=\"/api/\",status=\"404\",upstream=\"test\"} 1")
                .contains("gateway_requests_seconds_count{route=\"-\",status=\"404\",upstream=\"-\"} 1")
                .contains("gateway_requests_seconds_bucket{route=\"/api/\",status=\"200\",upstream=\"test\",le=\"0.8\"} 3")
                .contains("gateway_requests_seconds_bucket{route=\"/api/\",status=\"200\",upstream=\"test\",le=\"+Inf\"} 3");
    }

    @Test
    void rateLimitRefusalsAreCounted() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url(),
                "rate_limit: {requests: 1, per: 1m}"));
        assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(429);

        assertThat(gateway.get("/metrics").body())
                .contains("gateway_ratelimit_refusals_total{scope=\"upstream\",upstream=\"test\"} 1.0")
                .contains("gateway_ratelimit_refusals_total{scope=\"caller\",upstream=\"-\"} 0.0");
    }

    @Test
    void metricsNeedTheAdminTokenWhenOneIsSet() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url())
                .replace("server:\n", "admin: {token: s3cret}\nserver:\n"));
        assertThat(gateway.get("/metrics").statusCode()).isEqualTo(401);
        HttpResponse<String> allowed = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/metrics"))
                .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.body()).contains("gateway_upstream_circuit_state{upstream=\"test\"} 0.0");
    }
}
