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
            AdminEndpoints endpoints = new AdminEndpoints(new dev.platemate.gateway.config.AdminConfig(""), java.util.Map.of(), java.util.Map.of(),
                    java.util.Map.of(), gateway.gateway().cache(), gateway.gateway().lifecycle(), () -> "");
            gateway.gateway().lifecycle().startDraining();
            var response = endpoints.handle(new io.netty.handler.codec.http.DefaultHttpRequest(
                    io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET,
                    "/health/ready"), "/health/ready");
            try {
                assertThat(response.status().code()).isEqualTo(503);
                assertThat(response.headers().get("retry-after")).isEqualTo("1");
            } finally {
                response.release();
            }
        }
    }
}
