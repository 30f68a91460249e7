package dev.platemate.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.platemate.gateway.testing.DockerEngine;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * {@code docker-compose.yml} brought up for real, where a Docker engine exists (Testcontainers' compose support):
 * a chat completion and a cached food search through both replicas. Without an engine (these machines) it is
 * reported as not run (skipped), never as passed; {@code ComposeFilesTest} reads the files there instead.
 */
class ComposeSmokeTest {

    @Test
    void theStackServesAChatCompletionAndACachedFoodSearchThroughBothReplicas() throws Exception {
        assumeTrue(DockerEngine.present(), "no Docker engine here: the compose stack was not brought up");
        try (ComposeContainer stack = new ComposeContainer(new File("../docker-compose.yml")).withBuild(true)
                .withExposedService("gateway-a", 8080, Wait.forHttp("/health/ready").forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(5)))
                .withExposedService("gateway-b", 8080, Wait.forHttp("/health/ready").forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(5)))) {
            stack.start();
            HttpClient http = HttpClient.newHttpClient();
            for (String replica : new String[] {"gateway-a", "gateway-b"}) {
                String base = "http://" + stack.getServiceHost(replica, 8080) + ":"
                        + stack.getServicePort(replica, 8080);
                HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(base
                        + "/openai/v1/chat/completions")).header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-mini\",\"messages\":[]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(chat.statusCode()).as(replica).isEqualTo(200);
                assertThat(chat.body()).contains("chat.completion");
                URI food = URI.create(base + "/fatsecret/food/search?q=smoke");
                HttpResponse<String> first = http.send(HttpRequest.newBuilder(food).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(first.statusCode()).isEqualTo(200);
                assertThat(first.body()).contains("smoke 1");
                // gateway-a's first is the miss; gateway-b's first already comes from the cache they share in Redis
                assertThat(first.headers().firstValue("x-cache")).as(replica)
                        .hasValue(replica.equals("gateway-a") ? "MISS" : "HIT");
                HttpResponse<String> again = http.send(HttpRequest.newBuilder(food).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(again.headers().firstValue("x-cache")).as(replica + ": served from the cache")
                        .hasValue("HIT");
            }
        }
    }
}
