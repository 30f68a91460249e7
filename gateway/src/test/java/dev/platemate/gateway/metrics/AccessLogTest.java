package dev.platemate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** One JSON line per request on the {@code access} logger, with no secret in it. */
class AccessLogTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private final ObjectMapper json = new ObjectMapper();
    private final Logger access = (Logger) LoggerFactory.getLogger("access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
    }

    @AfterEach
    void release() {
        access.setLevel(Level.OFF);
        access.detachAppender(lines);
    }

    private List<JsonNode> logged(int count) {
        await().until(() -> lines.list.size() >= count);
        return lines.list.stream().map(event -> {
            try {
                return json.readTree(event.getFormattedMessage());
            } catch (Exception e) {
                throw new AssertionError("not a JSON line: " + event.getFormattedMessage(), e);
            }
        }).toList();
    }

    @Test
    void aProxiedRequestIsOneLineWithItsRouteStatusBytesAndTimings() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 2, max_queue: 10, queue_timeout: 5s"));
        HttpResponse<String> response = gateway.client().send(HttpRequest.newBuilder(
                        gateway.uri("/api/json?size=300&api_key=sk-in-the-query"))
                .header("Authorization", "Bearer sk-client-secret").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);

        JsonNode line = logged(1).get(0);

        assertThat(line.get("method").asText()).isEqualTo("GET");
        assertThat(line.get("path").asText()).isEqualTo("/api/json");
        assertThat(line.get("route").asText()).isEqualTo("/api/");
        assertThat(line.get("upstream").asText()).isEqualTo("test");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("bytes").asLong()).isEqualTo(response.body().length());
        assertThat(line.get("total_ms").asDouble()).isPositive();
        assertThat(line.get("queue_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(line.get("upstream_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(line.get("cache").asText()).isEqualTo("-");
        assertThat(line.get("completed").asBoolean()).isTrue();
        assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
        assertThat(line.toString()).doesNotContain("sk-in-the-query").doesNotContain("sk-client-secret")
                .doesNotContain("sk-test-secret");
    }

    @Test
    void cacheResultsAndLocalAnswersAreLoggedToo() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withCache(TestGateway.config(fixture.upstream().url()),
                "ttl: 1m", "max_size: 8MiB"));
        gateway.get("/api/cacheable?id=1");
        gateway.get("/api/cacheable?id=1");
        gateway.get("/elsewhere");

        List<JsonNode> logged = logged(3);

        assertThat(logged).extracting(line -> line.get("cache").asText()).containsExactly("MISS", "HIT", "-");
        assertThat(logged.get(2).get("status").asInt()).isEqualTo(404);
        assertThat(logged.get(2).get("route").asText()).isEqualTo("-");
        assertThat(logged.get(2).get("upstream_ms").asLong()).isEqualTo(-1);
    }

    @Test
    void aClientThatLeavesBeforeTheAnswerIsLogged499WithItsTimeQueuedAndUpstream() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 2, max_queue: 10, queue_timeout: 5s"));
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/hang HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> fixture.upstream().requests.size() == 1);
        }

        JsonNode line = logged(1).get(0);

        assertThat(line.get("status").asInt()).isEqualTo(499);
        assertThat(line.get("completed").asBoolean()).isFalse();
        assertThat(line.get("queue_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(line.get("upstream_ms").asLong()).isGreaterThanOrEqualTo(0);
    }
}
