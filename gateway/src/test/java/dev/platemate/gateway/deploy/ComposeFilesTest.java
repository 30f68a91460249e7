package dev.platemate.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubControls;
import dev.platemate.gateway.stub.StubUpstream;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.WebSocketClient;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * With no Docker engine here, docker-compose.yml and the Dockerfile are checked by reading them: the services,
 * ports, mounts, commands and healthchecks agree with config/compose.yml, config/prometheus.yml and the build.
 */
class ComposeFilesTest {

    private static final Path ROOT = Path.of("..");
    /** Strict about duplicate keys, as docker compose's own parser is (Jackson would keep the last one). */
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private JsonNode compose() throws Exception {
        return yaml.readTree(ROOT.resolve("docker-compose.yml").toFile());
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    /** The local directory a container path is mounted from, by the service's volumes. */
    private static Path local(JsonNode service, String containerPath) {
        for (String volume : strings(service.get("volumes"))) {
            String[] parts = volume.split(":");
            if (containerPath.equals(parts[1]) || containerPath.startsWith(parts[1] + "/")) {
                return ROOT.resolve(parts[0]).resolve(containerPath.substring(parts[1].length()).replaceFirst("^/", ""));
            }
        }
        throw new AssertionError(containerPath + " is not mounted into the service");
    }

    @Test
    void theStackHasTwoGatewaysTheStubRedisPrometheusAndGrafana() throws Exception {
        assertThat(compose().get("services").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("stub-upstream", "redis", "gateway-a", "gateway-b", "prometheus", "grafana");
    }

    @Test
    void eachGatewayRunsTheMountedComposeConfigOnThePortItPublishes() throws Exception {
        JsonNode services = compose().get("services");
        GatewayConfig config = null;
        List<String> hostPorts = new ArrayList<>();
        for (String name : List.of("gateway-a", "gateway-b")) {
            JsonNode gateway = services.get(name);
            List<String> command = strings(gateway.get("command"));
            assertThat(command).startsWith("run", "-c");
            Path file = local(gateway, command.get(2));
            assertThat(file).as(name + " config").exists();
            assertThat(file.normalize()).isEqualTo(ROOT.resolve("config/compose.yml").normalize());
            config = new ConfigLoader(Map.of()).load(file);
            String published = strings(gateway.get("ports")).get(0);
            assertThat(published).endsWith(":" + config.server().port());
            hostPorts.add(published.split(":")[0]);
            assertThat(gateway.at("/depends_on/stub-upstream/condition").asText()).isEqualTo("service_healthy");
            assertThat(gateway.at("/depends_on/redis/condition").asText()).isEqualTo("service_healthy");
        }
        assertThat(hostPorts).doesNotHaveDuplicates();
        assertThat(config.server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void theComposeConfigPointsAtTheStubAndRedisServices() throws Exception {
        JsonNode services = compose().get("services");
        GatewayConfig config = new ConfigLoader(Map.of()).load(ROOT.resolve("config/compose.yml"));
        List<String> stub = strings(services.get("stub-upstream").get("command"));
        assertThat(stub.get(0)).isEqualTo("stub-upstream");
        String stubPort = stub.get(stub.indexOf("--port") + 1);
        assertThat(strings(services.get("stub-upstream").get("expose"))).contains(stubPort);

        for (UpstreamConfig upstream : config.upstreams().values()) {
            assertThat(upstream.host()).as(upstream.name()).isEqualTo("stub-upstream");
            assertThat(Integer.toString(upstream.port())).as(upstream.name()).isEqualTo(stubPort);
            assertThat(upstream.secure()).isTrue();
        }
        URI redis = URI.create(config.redis().url());
        assertThat(redis.getHost()).isEqualTo("redis");
        assertThat(strings(services.get("redis").get("expose"))).contains(Integer.toString(redis.getPort()));
        // the shared cache tier is bounded by Redis itself, evicting the least recently used keys
        List<String> redisCommand = strings(services.get("redis").get("command"));
        assertThat(redisCommand).contains("--maxmemory", "--maxmemory-policy", "allkeys-lru");
        assertThat(config.limiters().get("ai").maxConcurrent())
                .isEqualTo(Integer.parseInt(stub.get(stub.indexOf("--ai-max-concurrent") + 1)));
    }

    @Test
    void prometheusScrapesEveryGatewayAndLoadsTheMountedRules() throws Exception {
        JsonNode services = compose().get("services");
        JsonNode prometheus = services.get("prometheus");
        Path scrapeConfig = local(prometheus, "/etc/prometheus/prometheus.yml");
        assertThat(scrapeConfig.normalize()).isEqualTo(ROOT.resolve("config/prometheus.yml").normalize());
        JsonNode scrape = yaml.readTree(scrapeConfig.toFile());
        String rules = scrape.get("rule_files").get(0).asText();   // relative to its config file, as Prometheus reads
        assertThat(local(prometheus, rules.startsWith("/") ? rules : "/etc/prometheus/" + rules)).exists();

        int gatewayPort = new ConfigLoader(Map.of()).load(ROOT.resolve("config/compose.yml")).server().port();
        assertThat(strings(scrape.at("/scrape_configs/0/static_configs/0/targets")))
                .containsExactlyInAnyOrder("gateway-a:" + gatewayPort, "gateway-b:" + gatewayPort);
    }

    /** A service's environment as compose gives it with nothing set outside: each {@code ${VAR:-default}}'s default. */
    private Map<String, String> environment(String service) throws Exception {
        Map<String, String> environment = new java.util.HashMap<>();
        compose().get("services").get(service).get("environment").fields().forEachRemaining(entry ->
                environment.put(entry.getKey(), entry.getValue().asText().replaceAll("^\\$\\{[A-Z_]+:-(.*)}$", "$1")));
        return environment;
    }

    @Test
    void grafanaLoadsTheDashboardOverTheComposePrometheus() throws Exception {
        JsonNode services = compose().get("services");
        JsonNode grafana = services.get("grafana");
        Path provisioning = local(grafana, "/etc/grafana/provisioning");
        JsonNode datasource = yaml.readTree(provisioning.resolve("datasources/prometheus.yml").toFile())
                .at("/datasources/0");
        String prometheusPort = strings(services.get("prometheus").get("ports")).get(0).split(":")[1];
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:" + prometheusPort);
        String dashboards = yaml.readTree(provisioning.resolve("dashboards/gateway.yml").toFile())
                .at("/providers/0/options/path").asText();
        Path dashboard = local(grafana, dashboards).resolve("gateway.json");
        assertThat(dashboard).exists();
        JsonNode panels = yaml.readTree(dashboard.toFile()).get("panels");
        assertThat(panels).isNotEmpty();
        for (JsonNode panel : panels) {
            assertThat(panel.at("/datasource/uid").asText()).as(panel.path("title").asText())
                    .isEqualTo(datasource.path("uid").asText());
        }
    }

    @Test
    void theComposeConfigServesThroughTheStubWhenRunLocally() throws Exception {
        Map<String, String> stubEnvironment = environment("stub-upstream");
        StubUpstream.OAuthClient client = new StubUpstream.OAuthClient(stubEnvironment.get("STUB_OAUTH_CLIENT_ID"),
                stubEnvironment.get("STUB_OAUTH_CLIENT_SECRET"), Duration.ofHours(1));
        assertThat(client.id()).as("the stand-in has a client for the food API's tokens").isNotEmpty();
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(20), 5,
                Duration.ZERO, 0, StubControls.Failure.NONE, client), Transport.detect())) {
            int port = stub.start("127.0.0.1", 0, -1)[0].getPort();
            // the service names resolve only inside compose; the stub's certificate also names 127.0.0.1
            String yaml = Files.readString(ROOT.resolve("config/compose.yml"))
                    .replace("stub-upstream:9443", "127.0.0.1:" + port).replace("0.0.0.0:8080", "127.0.0.1:0");
            try (TestGateway gateway = TestGateway.start(yaml, environment("gateway-a"), ROOT.resolve("config"))) {
                HttpResponse<String> food = gateway.get("/fatsecret/food/search?q=pear");
                HttpResponse<String> chat = gateway.post("/openai/v1/chat/completions", "{\"model\":\"m\"}");

                assertThat(food.statusCode()).as("the food API's token fetched from the stand-in").isEqualTo(200);
                assertThat(food.body()).contains("pear 1");
                assertThat(food.headers().firstValue("x-cache")).contains("MISS");
                assertThat(chat.statusCode()).isEqualTo(200);
                assertThat(chat.body()).contains("chat.completion");
                try (WebSocketClient realtime = WebSocketClient.connect(URI.create("ws://127.0.0.1:" + gateway.port()
                        + "/realtime/v1/realtime?model=gpt-4o-realtime-preview"))) {
                    assertThat(realtime.next().text()).as("a Realtime session over the stand-in's wss://")
                            .contains("\"type\":\"session.created\"");
                    realtime.close(1000, "");
                    realtime.closed.get(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void theDockerfileBuildsTheJarAndRunsItAsANonRootUserWithAHealthcheck() throws Exception {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertThat(Pattern.compile("(?m)^FROM ").matcher(dockerfile).results().count()).as("stages").isEqualTo(2);
        assertThat(dockerfile).containsPattern("(?m)^FROM maven:\\S+ AS build$")
                .contains("COPY --from=build /src/gateway/target/gateway.jar /app/gateway.jar")
                .containsPattern("(?m)^EXPOSE 8080$");
        Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(dockerfile);
        assertThat(user.find()).isTrue();
        assertThat(user.group(1)).isNotIn("root", "0");
        assertThat(dockerfile).containsPattern("(?s)HEALTHCHECK .*/dev/tcp/127.0.0.1/8080.*GET /health/live");
        // every file the build copies exists
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(dockerfile);
        while (copy.find()) {
            assertThat(ROOT.resolve(copy.group(1))).as("COPY " + copy.group(1)).exists();
        }
        assertThat(ROOT.resolve("config/stub-upstream-cert.pem")).exists();
        assertThat(ROOT.resolve("config/stub-upstream-key.pem")).exists();
    }
}
