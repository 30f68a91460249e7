package dev.platemate.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The gateway's own endpoints answer without touching an upstream, and are never proxied. */
class HealthEndpointsTest {

    @Test
    void liveAndReadyAnswerOk() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()))) {
            HttpResponse<String> live = gateway.get("/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"ok\"}");
            assertThat(gateway.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(gateway.get("/health/nothing").statusCode()).isEqualTo(404);
            assertThat(gateway.post("/health/live", "x").statusCode()).isEqualTo(405);
            assertThat(upstream.requests).isEmpty();
        }
    }

    @Test
    void readyTurns503WhileDraining() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url()))) {
            gateway.gateway().lifecycle().startDraining();
            var response = gateway.get("/health/ready");
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("retry-after")).contains("1");
        }
    }
}
