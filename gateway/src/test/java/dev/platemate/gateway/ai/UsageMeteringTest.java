package dev.platemate.gateway.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.OpenAiUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.net.URI;
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
 * Usage counted on an AI route, end to end over real sockets against an OpenAI stand-in: JSON answers, streams
 * with the usage chunk the gateway asked for (and the client never sees), streams that asked for it themselves or
 * refused it, cut streams and answers that are not JSON. The client's bytes are compared with what it gets direct.
 */
class UsageMeteringTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Logger access = (Logger) LoggerFactory.getLogger("access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final HttpClient direct = HttpClient.newHttpClient();
    private OpenAiUpstream provider;
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
        provider = new OpenAiUpstream();
        gateway = TestGateway.start("""
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  openai:
                    url: %s
                    retries: 0
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                ai:
                  prices:
                    gpt-4o-mini: {prompt: 0.15, cached: 0.075, completion: 0.60}
                """.formatted(provider.url()));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            gateway.close();
            provider.close();
        } finally {
            access.setLevel(Level.OFF);
            access.detachAppender(lines);
        }
    }

    private HttpResponse<String> post(URI base, String path, String body) throws Exception {
        return direct.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> viaGateway(String query, String body) throws Exception {
        return post(gateway.uri("/"), "/openai/v1/chat/completions" + query, body);
    }

    private HttpResponse<String> viaProviderDirect(String query, String body) throws Exception {
        HttpResponse<String> response = post(URI.create(provider.url() + "/"), "/v1/chat/completions" + query, body);
        provider.bodies.poll(5, TimeUnit.SECONDS);   // its own request, not one the gateway sent
        return response;
    }

    private JsonNode lastLine() throws Exception {
        await().until(() -> !lines.list.isEmpty());
        return JSON.readTree(lines.list.get(lines.list.size() - 1).getFormattedMessage());
    }

    private String metrics() throws Exception {
        return gateway.get("/metrics").body();
    }

    @Test
    void aJsonAnswersUsageIsCountedPricedAndLogged() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> answer = viaGateway("?words=6", body);

        assertThat(answer.body()).isEqualTo(viaProviderDirect("?words=6", body).body());
        JsonNode line = lastLine();
        assertThat(line.get("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(line.get("prompt_tokens").asLong()).isEqualTo(11);
        assertThat(line.get("completion_tokens").asLong()).isEqualTo(6);
        assertThat(line.get("usage_estimated").asBoolean()).isFalse();
        String metrics = metrics();
        assertThat(metrics).contains("gateway_ai_tokens_total{kind=\"prompt\",model=\"gpt-4o-mini\",upstream=\"openai\"} 11.0")
                .contains("gateway_ai_tokens_total{kind=\"cached\",model=\"gpt-4o-mini\",upstream=\"openai\"} 4.0")
                .contains("gateway_ai_tokens_total{kind=\"completion\",model=\"gpt-4o-mini\",upstream=\"openai\"} 6.0")
                .contains("gateway_ai_requests_total{model=\"gpt-4o-mini\",status=\"200\",upstream=\"openai\"} 1.0");
        // 7 prompt at 0.15, 4 cached at 0.075, 6 completion at 0.60, per million
        java.util.regex.Matcher cost = java.util.regex.Pattern.compile(
                "gateway_ai_cost_usd_total\\{model=\"gpt-4o-mini\",upstream=\"openai\"} (\\S+)").matcher(metrics);
        assertThat(cost.find()).isTrue();
        assertThat(Double.parseDouble(cost.group(1)))
                .isCloseTo((7 * 0.15 + 4 * 0.075 + 6 * 0.60) / 1_000_000, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aStreamThatDidNotAskForUsageIsCountedAndTheClientGetsExactlyTheStreamItAskedFor() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[]}";
        HttpResponse<String> streamed = viaGateway("?words=5", body);

        JsonNode sent = provider.bodies.poll(5, TimeUnit.SECONDS);
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).as("asked by the gateway").isTrue();
        assertThat(streamed.body()).isEqualTo(viaProviderDirect("?words=5", body).body())
                .doesNotContain("\"usage\"");
        JsonNode line = lastLine();
        assertThat(line.get("prompt_tokens").asLong()).isEqualTo(11);
        assertThat(line.get("completion_tokens").asLong()).isEqualTo(5);
        assertThat(line.get("usage_estimated").asBoolean()).isFalse();
    }

    @Test
    void theRequestBodyIsChangedOnlyByTheSplicedOptionAndOnlyForChatAndCompletions() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"temperature\":0.1000000000000000055511,"
                + "\"n\":1e400,\"stream_options\":{\"x\":1}}";
        viaGateway("", body);
        JsonNode sent = provider.bodies.poll(5, TimeUnit.SECONDS);
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.path("stream_options").path("x").asInt()).isEqualTo(1);
        assertThat(sent.path("temperature").decimalValue().toPlainString()).isEqualTo("0.1000000000000000055511");
        assertThat(sent.path("n").decimalValue()).isEqualByComparingTo("1e400");

        post(gateway.uri("/"), "/openai/v1/responses", "{\"model\":\"gpt-4o-mini\",\"stream\":true}");
        assertThat(provider.bodies.poll(5, TimeUnit.SECONDS).has("stream_options"))
                .as("the Responses API is not asked for an option it does not have").isFalse();
    }

    @Test
    void aStreamThatAskedForUsageItselfGetsItsUsageChunk() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        HttpResponse<String> streamed = viaGateway("", body);

        assertThat(streamed.body()).isEqualTo(viaProviderDirect("", body).body()).contains("\"choices\":[],\"usage\"");
        assertThat(lastLine().get("completion_tokens").asLong()).isEqualTo(4);
    }

    @Test
    void anExplicitNoIsRespectedAndTheCountIsAnEstimate() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}";
        HttpResponse<String> streamed = viaGateway("?words=8", body);

        assertThat(provider.bodies.poll(5, TimeUnit.SECONDS).path("stream_options").path("include_usage")
                .asBoolean()).isFalse();
        assertThat(streamed.body()).isEqualTo(viaProviderDirect("?words=8", body).body());
        JsonNode line = lastLine();
        assertThat(line.get("usage_estimated").asBoolean()).isTrue();
        assertThat(line.get("completion_tokens").asLong()).isEqualTo(10);   // 8 x "word " = 40 characters / 4
        assertThat(line.get("prompt_tokens").asLong()).isPositive();
        assertThat(metrics()).contains("gateway_ai_usage_estimated_total{model=\"gpt-4o-mini\",upstream=\"openai\"} 1.0");
    }

    @Test
    void aStreamCutShortCountsWhatWasSeen() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true}";
        try {
            viaGateway("?words=6&cut=3", body);
        } catch (java.io.IOException expected) {
            // the client sees the cut
        }
        JsonNode line = lastLine();
        assertThat(line.get("completed").asBoolean()).isFalse();
        assertThat(line.get("usage_estimated").asBoolean()).isTrue();
        assertThat(line.get("completion_tokens").asLong()).isEqualTo(4);   // 3 x "word " = 15 characters / 4
    }

    @Test
    void anAnswerThatIsNotJsonPassesAndCountsUnderAnUnknownModel() throws Exception {
        HttpResponse<String> answer = viaGateway("?text", "{\"model\":\"gpt-4o-mini\"}");

        assertThat(answer.body()).isEqualTo("not json at all");
        JsonNode line = lastLine();
        assertThat(line.get("model").asText()).isEqualTo("unknown");
        assertThat(line.get("prompt_tokens").asLong()).isZero();
    }

    @Test
    void aStreamWithAContentLengthIsPassedAsItIsAndStillCounted() throws Exception {
        String body = "{\"model\":\"gpt-4o-mini\",\"stream\":true}";
        HttpResponse<String> streamed = viaGateway("?length", body);

        assertThat(streamed.body()).contains("\"choices\":[],\"usage\"");   // its framing is not the gateway's to cut
        assertThat(lastLine().get("completion_tokens").asLong()).isEqualTo(4);
    }

    @Test
    void onACachedAiRouteAMissIsCountedAndAHitIsNot() throws Exception {
        gateway.close();
        gateway = TestGateway.start("""
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  openai:
                    url: %s
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                    cache: {ttl: 1m, methods: [POST]}
                """.formatted(provider.url()));
        String body = "{\"model\":\"gpt-4o-mini\",\"input\":\"embed me\"}";
        HttpResponse<String> miss = post(gateway.uri("/"), "/openai/v1/embeddings", body);
        HttpResponse<String> hit = post(gateway.uri("/"), "/openai/v1/embeddings", body);

        assertThat(miss.headers().firstValue("x-cache")).hasValue("MISS");
        assertThat(hit.headers().firstValue("x-cache")).hasValue("HIT");
        await().until(() -> lines.list.size() == 2);
        JsonNode missLine = JSON.readTree(lines.list.get(0).getFormattedMessage());
        JsonNode hitLine = JSON.readTree(lines.list.get(1).getFormattedMessage());
        assertThat(missLine.get("prompt_tokens").asLong()).isEqualTo(11);
        assertThat(hitLine.has("prompt_tokens")).as("a hit spends nothing").isFalse();
    }
}
