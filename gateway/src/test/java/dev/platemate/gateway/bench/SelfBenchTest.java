package dev.platemate.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.cli.Main;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubUpstream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code gateway bench} and the stand-in upstream it runs against. */
class SelfBenchTest {

    @Test
    void benchPrintsEveryWorkloadBeforeAndAfterAsJson() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("bench", "--users", "12", "--ai-limit", "3", "--ai-latency", "1s",
                "--throughput-for", "1s", "--json");

        assertThat(code).isZero();
        assertThat(err.toString()).contains("[1/7] solo request latency").contains("[7/7] memory");
        JsonNode result = new ObjectMapper().readTree(out.toString());
        Map<String, JsonNode> stats = new HashMap<>();
        result.get("stats").forEach(stat -> stats.put(stat.get("metric").asText(), stat));
        assertThat(stats).containsKeys("Solo request latency", "10 sequential requests", "20 concurrent requests",
                "10 concurrent users", "12 concurrent users", "12 users: success rate", "Throughput",
                "Gateway memory in use");
        // direct, 12 users at once against a provider that takes 3: the rest are refused with 429
        assertThat(stats.get("12 users: success rate").get("before").asDouble()).isLessThan(100);
        // through the gateway, the limiter queues them and every user succeeds
        assertThat(stats.get("12 users: success rate").get("after").asDouble()).isEqualTo(100);
        assertThat(stats.get("Throughput").get("after").asDouble()).isPositive();
        assertThat(stats.get("Gateway memory in use").get("after").asDouble()).isPositive();
        assertThat(result.get("speedup").asDouble()).isPositive();
    }

    @Test
    void theStubStreamsChatCompletionsAndSearchesFood() throws Exception {
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(10), 5,
                Duration.ZERO), Transport.detect())) {
            int plain = stub.start("127.0.0.1", 0, 0)[1].getPort();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

            HttpResponse<String> streamed = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + plain + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\": true}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> food = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + plain + "/food/search?q=kiwi")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(streamed.headers().firstValue("content-type")).contains("text/event-stream");
            assertThat(streamed.body()).contains("chat.completion.chunk").endsWith("data: [DONE]\n\n");
            assertThat(food.body()).contains("\"food_name\":\"kiwi 1\"");
            assertThat(StubUpstream.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
        }
    }
}
