package dev.platemate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubUpstream;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.WebSocketClient;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-style Realtime session through the gateway to the stand-in's {@code /v1/realtime}: the key injected,
 * the events passed as they came, the usage of {@code response.done} counted by model, booked in the upstream's
 * token bucket, and the session's access-log line.
 */
class RealtimeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Logger access = (Logger) LoggerFactory.getLogger("access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private StubUpstream stub;
    private String yaml;
    private TestGateway gateway;

    @BeforeEach
    void start() throws Exception {
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
        stub = new StubUpstream(new StubUpstream.Settings(Duration.ZERO, 50, Duration.ZERO), Transport.detect());
        InetSocketAddress plain = stub.start("127.0.0.1", 0, 0)[1];
        yaml = """
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  openai:
                    url: http://127.0.0.1:%d/v1
                    headers:
                      Authorization: Bearer sk-realtime-secret
                    token_limit: {tokens: 5, per: 1h}
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                  - path: /realtime/
                    upstream: openai
                    websocket: true
                """.formatted(plain.getPort());
        gateway = TestGateway.start(yaml);
    }

    @AfterEach
    void stop() throws Exception {
        access.setLevel(Level.OFF);
        access.detachAppender(lines);
        try {
            gateway.close();
        } finally {
            stub.close();
        }
    }

    private JsonNode event(WebSocketClient client) throws Exception {
        return JSON.readTree(client.next().text());
    }

    @Test
    void theUsageOfEachResponseIsCountedByModelAndBooked() throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + gateway.port() + "/realtime/realtime?model=gpt-4o-realtime-preview");
        try (WebSocketClient client = WebSocketClient.connect(uri, new DefaultHttpHeaders()
                .set("authorization", "Bearer sk-not-the-real-one"), null, true)) {
            JsonNode created = event(client);
            assertThat(created.path("type").asText()).isEqualTo("session.created");
            assertThat(created.path("session").path("model").asText()).isEqualTo("gpt-4o-realtime-preview");
            client.sendText("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\","
                    + "\"content\":[{\"type\":\"input_text\",\"text\":\"hello there\"}]}}");
            assertThat(event(client).path("type").asText()).isEqualTo("conversation.item.created");
            client.sendText("{\"type\":\"response.create\"}");
            StringBuilder text = new StringBuilder();
            JsonNode done;
            while (true) {
                JsonNode next = event(client);
                if (next.path("type").asText().equals("response.text.delta")) {
                    text.append(next.path("delta").asText());
                }
                if (next.path("type").asText().equals("response.done")) {
                    done = next;
                    break;
                }
            }
            assertThat(text.toString()).isEqualTo("echo: hello there");
            assertThat(done.path("response").path("usage").path("input_tokens").asInt()).isEqualTo(2);
            assertThat(done.path("response").path("usage").path("output_tokens").asInt()).isEqualTo(3);
            client.close(1000, "thanks");
            client.closed.get(10, TimeUnit.SECONDS);
        }
        String metrics = gateway.get("/metrics").body();
        assertThat(metrics).contains("gateway_ai_tokens_total{kind=\"prompt\",model=\"gpt-4o-realtime-preview\","
                + "upstream=\"openai\"} 2.0").contains("gateway_ai_tokens_total{kind=\"completion\","
                + "model=\"gpt-4o-realtime-preview\",upstream=\"openai\"} 3.0");
        // the 5 tokens are booked in the upstream's bucket of 5: neither another session nor a chat request goes
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(WebSocketFixture.handshake("/realtime/realtime?model=x", ""));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 429 ").containsIgnoringCase("retry-after:");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).contains("\"type\":\"token_limit\"");
        }
        HttpResponse<String> chat = gateway.client().send(HttpRequest.newBuilder(gateway.uri(
                "/openai/chat/completions")).header("content-type", "application/json").POST(HttpRequest
                .BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"max_tokens\":100,\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chat.statusCode()).isEqualTo(429);
        assertThat(chat.body()).contains("\"type\":\"token_limit\"");

        await().atMost(Duration.ofSeconds(10)).until(() -> lines.list.stream()
                .anyMatch(line -> line.getFormattedMessage().contains("\"kind\":\"websocket\"")));
        JsonNode line = JSON.readTree(lines.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(message -> message.contains("\"kind\":\"websocket\"")).findFirst().orElseThrow());
        assertThat(line.path("route").asText()).isEqualTo("/realtime/");
        assertThat(line.path("path").asText()).isEqualTo("/realtime/realtime");
        assertThat(line.path("messages_in").asInt()).isEqualTo(2);
        assertThat(line.path("messages_out").asInt()).isGreaterThan(5);
        assertThat(line.path("close_code").asInt()).isEqualTo(1000);
        assertThat(line.path("closed_by").asText()).isEqualTo("client");
        assertThat(line.path("model").asText()).isEqualTo("gpt-4o-realtime-preview");
        assertThat(line.path("prompt_tokens").asInt()).isEqualTo(2);
        assertThat(line.path("completion_tokens").asInt()).isEqualTo(3);
        assertThat(lines.list.toString()).doesNotContain("sk-realtime-secret").doesNotContain("sk-not-the-real-one");
    }

    @Test
    void theStandInRefusesASessionWithoutAKeyAndTheRefusalIsRelayed() throws Exception {
        gateway.close();
        gateway = TestGateway.start(yaml.replace("    headers:\n      Authorization: Bearer sk-realtime-secret\n",
                ""));
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(WebSocketFixture.handshake("/realtime/realtime?model=x", ""));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 401 ");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).contains("invalid_api_key");
        }
    }
}
