package dev.platemate.gateway.fallback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.OpenAiUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A route with {@code fallback: [deepseek]} over real sockets, against two OpenAI stand-ins: each trigger sends
 * the request on (with its model mapped), the answer names who served it, nothing falls back once a byte reached
 * the client, and each upstream keeps its own limiter.
 */
class FallbackTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final Logger access = (Logger) LoggerFactory.getLogger("access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private OpenAiUpstream openai;
    private OpenAiUpstream deepseek;
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
        openai = new OpenAiUpstream();
        deepseek = new OpenAiUpstream();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
            openai.close();
            deepseek.close();
        } finally {
            access.setLevel(Level.OFF);
            access.detachAppender(lines);
        }
    }

    private TestGateway gateway(String openaiUrl, String openaiExtra, String routeExtra, String rest)
            throws Exception {
        gateway = TestGateway.start("""
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  openai:
                    url: %s
                    retries: 0
                %s
                  deepseek:
                    url: %s
                    retries: 0
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                    fallback: [deepseek]
                    model_map:
                      deepseek: {gpt-4o-mini: deepseek-chat}
                %s
                %s""".formatted(openaiUrl, openaiExtra.indent(4).stripTrailing(), deepseek.url(),
                routeExtra.indent(4).stripTrailing(), rest));
        return gateway;
    }

    private TestGateway gateway() throws Exception {
        return gateway(openai.url(), "", "", "");
    }

    private HttpResponse<String> ask(String query, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri("/openai/v1/chat/completions" + query))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> ask() throws Exception {
        return ask("", ASK);
    }

    private JsonNode lastLine() throws Exception {
        await().until(() -> !lines.list.isEmpty());
        return JSON.readTree(lines.list.get(lines.list.size() - 1).getFormattedMessage());
    }

    private String metrics() throws Exception {
        return gateway.get("/metrics").body();
    }

    /** Served by deepseek after openai failed for {@code reason}: mapped model, header, timing, metric, log. */
    private void assertFellBack(HttpResponse<String> answer, String reason) throws Exception {
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("deepseek");
        assertThat(answer.headers().allValues("server-timing"))
                .anySatisfy(timing -> assertThat(timing).startsWith("fallback;desc=\"openai " + reason + "\";dur="));
        assertThat(JSON.readTree(answer.body()).get("model").asText()).isEqualTo("deepseek-chat");
        JsonNode sent = deepseek.bodies.poll(5, TimeUnit.SECONDS);
        assertThat(sent.get("model").asText()).as("the model, mapped for deepseek").isEqualTo("deepseek-chat");
        assertThat(sent.get("messages")).isEqualTo(JSON.readTree(ASK).get("messages"));
        JsonNode line = lastLine();
        assertThat(line.get("upstream").asText()).isEqualTo("deepseek");
        assertThat(line.get("tried").asText()).isEqualTo("openai:" + reason + ",deepseek");
        assertThat(line.get("model").asText()).isEqualTo("deepseek-chat");
        assertThat(metrics())
                .contains("gateway_fallbacks_total{from=\"openai\",reason=\"" + reason
                        + "\",route=\"/openai/\",to=\"deepseek\"} 1.0")
                .contains("gateway_ai_requests_total{model=\"deepseek-chat\",status=\"200\",upstream=\"deepseek\"} 1.0");
        gateway.awaitQuiet();
    }

    @Test
    void aHealthyUpstreamServesAndIsNamed() throws Exception {
        gateway();
        HttpResponse<String> answer = ask();

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("openai");
        assertThat(JSON.readTree(answer.body()).get("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(deepseek.bodies).isEmpty();
        assertThat(lastLine().has("tried")).isFalse();
    }

    @Test
    void a5xxFallsBackWithTheModelMapped() throws Exception {
        gateway();
        openai.failing = "503";
        assertFellBack(ask(), "5xx");
    }

    @Test
    void aStreamed5xxHeadIsDroppedWholeAndFallsBack() throws Exception {
        gateway();
        openai.failing = "500-chunked";
        assertFellBack(ask(), "5xx");
    }

    @Test
    void aProvider429FallsBack() throws Exception {
        gateway();
        openai.failing = "429";
        assertFellBack(ask(), "429");
    }

    @Test
    void aConnectFailureFallsBack() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        gateway("http://127.0.0.1:" + closed, "", "", "");
        assertFellBack(ask(), "connect");
    }

    @Test
    void noResponseHeadInTimeFallsBack() throws Exception {
        gateway(openai.url(), "response_timeout: 300ms", "", "");
        openai.failing = "stall";
        assertFellBack(ask(), "timeout");
    }

    @Test
    void anOpenCircuitFallsBackWithoutTryingTheUpstream() throws Exception {
        gateway(openai.url(), "circuit_breaker: {failure_threshold: 1, open_for: 1m}", "", "");
        openai.failing = "502";
        assertThat(ask().headers().firstValue("x-gateway-upstream")).hasValue("deepseek");   // opens the circuit
        openai.bodies.clear();
        deepseek.bodies.clear();
        lines.list.clear();
        gateway.awaitQuiet();
        openai.failing = null;

        HttpResponse<String> answer = ask();
        assertThat(openai.bodies).as("not tried while its circuit is open").isEmpty();
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("deepseek");
        assertThat(lastLine().get("tried").asText()).isEqualTo("openai:circuit_open,deepseek");
    }

    @Test
    void theMappedBodyKeepsEveryOtherFieldAndEveryDigit() throws Exception {
        gateway();
        openai.failing = "503";
        String body = "{\"model\":\"gpt-4o-mini\",\"temperature\":0.1000000000000000055511,\"n\":1,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9\"}]}";
        assertThat(ask("", body).headers().firstValue("x-gateway-upstream")).hasValue("deepseek");

        JsonNode sent = deepseek.bodies.poll(5, TimeUnit.SECONDS);
        assertThat(sent.get("model").asText()).isEqualTo("deepseek-chat");
        assertThat(sent.get("temperature").decimalValue()).isEqualByComparingTo("0.1000000000000000055511");
        assertThat(sent.get("messages").get(0).get("content").asText()).isEqualTo("h\u00e9");
        assertThat(sent.get("n").asInt()).isEqualTo(1);
    }

    @Test
    void theCallersOwnTokenLimitIsNoReasonToTryAnotherUpstream() throws Exception {
        gateway(openai.url(), "", "", """
                rate_limits:
                  - {key: ip, tokens: 10, per: 1m}
                """);
        assertThat(ask().statusCode()).as("the first spends the caller's minute").isEqualTo(200);
        openai.bodies.clear();
        HttpResponse<String> answer = ask();

        assertThat(answer.statusCode()).isEqualTo(429);
        assertThat(answer.body()).contains("token_limit").contains("caller");
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("openai");
        assertThat(openai.bodies).isEmpty();
        assertThat(deepseek.bodies).as("every upstream would refuse it the same").isEmpty();
    }

    @Test
    void aTriggerLeftOutOfFallbackOnIsRelayed() throws Exception {
        gateway(openai.url(), "", "fallback_on: [connect, timeout]", "");
        openai.failing = "503";
        HttpResponse<String> answer = ask();

        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("openai");
        assertThat(answer.body()).contains("failing on purpose");
        assertThat(deepseek.bodies).isEmpty();
    }

    @Test
    void whenEveryUpstreamFailsTheLastAnswerIsTheClients() throws Exception {
        gateway();
        openai.failing = "503";
        deepseek.failing = "500";
        HttpResponse<String> answer = ask();

        assertThat(answer.statusCode()).isEqualTo(500);
        assertThat(answer.headers().firstValue("x-gateway-upstream")).hasValue("deepseek");
        assertThat(answer.body()).contains("failing on purpose");
        assertThat(lastLine().get("tried").asText()).isEqualTo("openai:5xx,deepseek");
    }

    @Test
    void aStreamCutMidwayIsCutForTheClientNeverFallsBackAndIsCounted() throws Exception {
        gateway();
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[]}";
        assertThatThrownBy(() -> ask("?words=6&cut=3", body)).as("no terminating chunk: the body is incomplete")
                .isInstanceOf(IOException.class);

        assertThat(deepseek.bodies).as("no fallback after the first byte").isEmpty();
        JsonNode line = lastLine();
        assertThat(line.get("upstream").asText()).isEqualTo("openai");
        assertThat(line.get("completed").asBoolean()).isFalse();
        assertThat(line.get("usage_estimated").asBoolean()).isTrue();
        assertThat(line.get("completion_tokens").asLong()).as("what was seen").isPositive();
    }

    @Test
    void aFallbackWaitsInTheFallbackUpstreamsOwnLimiter() throws Exception {
        gateway(openai.url(), "", "", """
                  - path: /deepseek/
                    upstream: deepseek
                    limiter: ds
                limiters:
                  ds:
                    max_concurrent: 1
                """);
        openai.failing = "503";
        assertThat(ask().headers().firstValue("x-gateway-upstream")).hasValue("deepseek");

        JsonNode limiter = JSON.readTree(gateway.get("/health/performance").body()).path("limiters").path("ds");
        assertThat(limiter.path("total_operations").asLong()).as("the fallback took a slot of ds").isEqualTo(1);
    }
}
