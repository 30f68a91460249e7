package dev.platemate.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /admin/reload} re-reads the file; an invalid one changes nothing; requests in flight finish. */
class ReloadTest {

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private static String config(String upstreamUrl, String limiter, String pool, String extraRoutes) {
        return """
                server: {listen: 127.0.0.1:0, shutdown_timeout: 5s}
                upstreams:
                  test:
                    url: %s
                    connect_timeout: 1s
                    response_timeout: 5s
                    idle_timeout: 5s
                    pool: {%s}
                limiters:
                  ai: {%s}
                routes:
                  - path: /api/
                    upstream: test
                    strip_prefix: true
                    limiter: ai
                %s""".formatted(upstreamUrl, pool, limiter, extraRoutes.indent(2));
    }

    private HttpResponse<String> reload(TestGateway gateway) throws Exception {
        return gateway.client().send(HttpRequest.newBuilder(gateway.uri("/admin/reload"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aHundredReloadsLeaveNoRetiredPoolsBehind() throws Exception {
        Path file = dir.resolve("gateway.yml");
        try (TestUpstream upstream = TestUpstream.plain()) {
            Files.writeString(file, config(upstream.url(), "max_concurrent: 2", "max_connections: 4", ""));
            try (TestGateway gateway = TestGateway.startFromFile(file)) {
                for (int i = 0; i < 100; i++) {
                    // a changed pool: each reload retires the one before, which served a request
                    Files.writeString(file, config(upstream.url(), "max_concurrent: 2",
                            "max_connections: " + (4 + i % 2), ""));
                    assertThat(gateway.get("/api/json?size=10").statusCode()).isEqualTo(200);
                    assertThat(reload(gateway).statusCode()).isEqualTo(200);
                }
                await().untilAsserted(() -> assertThat(gateway.gateway().upstreamStats()).hasSize(1));
            }
        }
    }

    @Test
    void anInvalidConfigIsRefusedWith400AndTheOldOneKeepsServing() throws Exception {
        Path file = dir.resolve("gateway.yml");
        try (TestUpstream upstream = TestUpstream.plain()) {
            Files.writeString(file, config(upstream.url(), "max_concurrent: 2", "max_connections: 4", ""));
            try (TestGateway gateway = TestGateway.startFromFile(file)) {
                Files.writeString(file, config(upstream.url(), "max_concurrent: 0", "max_connections: 4",
                        "- {path: /v2/, upstream: nowhere}"));

                HttpResponse<String> refused = reload(gateway);

                assertThat(refused.statusCode()).isEqualTo(400);
                JsonNode error = json.readTree(refused.body()).get("error");
                assertThat(error.get("type").asText()).isEqualTo("bad_request");
                assertThat(error.get("errors").toString()).contains("limiters.ai.max_concurrent")
                        .contains("routes[1].upstream");
                assertThat(gateway.get("/api/json?size=10").statusCode()).isEqualTo(200);
                assertThat(gateway.get("/v2/json").statusCode()).isEqualTo(404);
                assertThat(limiter(gateway).get("max_concurrent").asInt()).isEqualTo(2);
            }
        }
    }

    @Test
    void newLimitsPoolsAndRoutesTakeEffectWhileAStreamInFlightFinishes() throws Exception {
        Path file = dir.resolve("gateway.yml");
        try (TestUpstream upstream = TestUpstream.plain()) {
            Files.writeString(file, config(upstream.url(), "max_concurrent: 1, max_queue: 10, queue_timeout: 10s",
                    "max_connections: 4", ""));
            try (TestGateway gateway = TestGateway.startFromFile(file)) {
                CompletableFuture<HttpResponse<String>> stream = gateway.client().sendAsync(
                        HttpRequest.newBuilder(gateway.uri("/api/sse?events=3")).build(),
                        HttpResponse.BodyHandlers.ofString());
                await().until(() -> upstream.requests.size() == 1);
                Files.writeString(file, config(upstream.url(), "max_concurrent: 3, max_queue: 10, queue_timeout: 10s",
                        "max_connections: 8", "- {path: /v2/, upstream: test, strip_prefix: true}"));

                HttpResponse<String> reloaded = reload(gateway);

                assertThat(reloaded.statusCode()).isEqualTo(200);
                JsonNode body = json.readTree(reloaded.body());
                assertThat(body.get("changed").toString()).contains("limiters.ai").contains("upstreams.test")
                        .contains("routes");
                assertThat(body.get("restart_required")).isEmpty();
                assertThat(limiter(gateway).get("max_concurrent").asInt()).isEqualTo(3);
                // the stream holds one slot; with three, a new request on the limited route goes at once
                assertThat(gateway.get("/api/json?size=10").statusCode()).isEqualTo(200);
                assertThat(gateway.get("/v2/json?size=10").statusCode()).isEqualTo(200);
                assertThat(stream).isNotDone();

                upstream.releaseLastEvent();

                HttpResponse<String> finished = stream.get(10, TimeUnit.SECONDS);
                assertThat(finished.statusCode()).isEqualTo(200);
                assertThat(finished.body()).contains("{\"event\":1}").contains("{\"event\":3}");
                // the replaced pool closes the stream's connection once it is given back, and is then dropped
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        gateway.gateway().upstreamStats()).containsOnlyKeys("test"));
            }
        }
    }

    @Test
    void routeCacheSettingsFollowTheFileAndServerChangesWaitForARestart() throws Exception {
        Path file = dir.resolve("gateway.yml");
        try (TestUpstream upstream = TestUpstream.plain()) {
            String cached = config(upstream.url(), "max_concurrent: 2", "max_connections: 4",
                    "- {path: /food/, upstream: test, strip_prefix: true, cache: {ttl: 1m}}");
            Files.writeString(file, cached);
            try (TestGateway gateway = TestGateway.startFromFile(file)) {
                gateway.get("/food/cacheable?id=7");
                assertThat(gateway.get("/food/cacheable?id=7").headers().firstValue("x-cache")).contains("HIT");
                Files.writeString(file, cached.replace("cache: {ttl: 1m}", "cache: {ttl: 1m, methods: [POST]}")
                        .replace("shutdown_timeout: 5s", "shutdown_timeout: 5s, max_connections: 50"));

                HttpResponse<String> reloaded = reload(gateway);

                assertThat(reloaded.statusCode()).isEqualTo(200);
                assertThat(json.readTree(reloaded.body()).get("restart_required").toString()).contains("server");
                // GET is no longer among the cached methods
                assertThat(gateway.get("/food/cacheable?id=7").headers().firstValue("x-cache")).contains("BYPASS");
            }
        }
    }

    private JsonNode limiter(TestGateway gateway) throws Exception {
        return json.readTree(gateway.get("/health/performance").body()).get("limiters").get("ai");
    }
}
