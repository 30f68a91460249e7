package dev.platemate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code gateway demo}: gateway.yml's routes in front of the stand-ins, answering what it tells newcomers to try. */
class DemoTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String base, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/openai/v1/chat/completions"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDemoAnswersTheThreeCurlsAndItsDashboardMoves() throws Exception {
        var routes = new ConfigLoader(Map.of()).load(Path.of("../gateway.yml"));
        try (DemoCommand.Demo demo = DemoCommand.start(routes, 0)) {
            String base = "http://127.0.0.1:" + demo.address().getPort();
            HttpResponse<String> chat = post(base, DemoCommand.CHAT);
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(chat.body()).at("/choices/0/message/content").asText()).isNotEmpty();
            HttpResponse<String> stream = post(base, DemoCommand.STREAM);
            assertThat(stream.headers().firstValue("content-type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("text/event-stream"));
            assertThat(stream.body()).contains("data: [DONE]");
            String food = base + "/fatsecret/food/search?q=apple";
            assertThat(get(food).headers().firstValue("x-cache")).isPresent();
            assertThat(get(food).headers().firstValue("x-cache")).hasValue("HIT");
            assertThat(get(base + "/dashboard").statusCode()).isEqualTo(200);
            // the background load, seen: food searches this test did not make (it made three)
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                double searches = 0;
                var series = JSON.readTree(get(base + "/admin/series").body()).at("/series/requests.fatsecret.2xx");
                for (var point : series) {
                    searches += point.asDouble(0);
                }
                return searches > 3;
            });
        }
    }
}
