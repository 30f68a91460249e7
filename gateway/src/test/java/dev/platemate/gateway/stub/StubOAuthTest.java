package dev.platemate.gateway.stub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stand-in's token endpoint and the food API that wants its token, direct and through a managing gateway. */
class StubOAuthTest {

    @Test
    void theFoodApiWantsATokenThatTheGatewayFetchesAndSends() throws Exception {
        StubUpstream.Settings settings = new StubUpstream.Settings(Duration.ofMillis(1), 5, Duration.ofMillis(1), 0,
                StubControls.Failure.NONE, new StubUpstream.OAuthClient("demo", "demo-secret", Duration.ofHours(1)));
        try (StubUpstream stub = new StubUpstream(settings, Transport.detect())) {
            String base = "http://127.0.0.1:" + stub.start("127.0.0.1", 0, 0)[1].getPort();
            HttpResponse<String> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(base + "/food/search?q=apple")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(direct.statusCode()).as("no token, no food").isEqualTo(401);

            try (TestGateway gateway = TestGateway.start("""
                    server:
                      listen: 127.0.0.1:0
                    upstreams:
                      fatsecret:
                        url: %s
                        auth:
                          oauth2_client_credentials:
                            token_url: %s/connect/token
                            client_id: ${ID}
                            client_secret: ${SECRET}
                    routes:
                      - path: /fatsecret/
                        upstream: fatsecret
                    """.formatted(base, base), Map.of("ID", "demo", "SECRET", "demo-secret"))) {
                HttpResponse<String> food = gateway.get("/fatsecret/food/search?q=apple");
                assertThat(food.statusCode()).isEqualTo(200);
                assertThat(food.body()).contains("apple 1");
            }
        }
    }
}
