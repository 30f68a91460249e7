package dev.platemate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring files checked by the real tools (Debian's {@code prometheus} package, which {@code .ci/run}
 * installs): {@code promtool} on the scrape config, the rules and their unit tests, which cover every alert; and a
 * real Prometheus scraping a live gateway, queried through its HTTP API.
 */
class PrometheusToolsTest {

    private static final Path CONFIG = MonitoringConfigTest.CONFIG;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private final HttpClient http = HttpClient.newHttpClient();

    /** Runs a tool to its end (at most a minute); returns its exit code and what it printed. */
    private static Object[] run(Path log, String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command) + " ended").isTrue();
        return new Object[] {process.exitValue(), Files.readString(log)};
    }

    @Test
    void promtoolAcceptsTheScrapeConfigAndTheRulesAndTheirUnitTestsPass(@TempDir Path dir) throws Exception {
        for (String[] check : List.of(new String[] {"check", "config", "prometheus.yml"},
                new String[] {"check", "rules", "alerts.yml"}, new String[] {"test", "rules", "alerts-tests.yml"})) {
            Object[] result = run(dir.resolve("promtool.log"), "promtool", check[0], check[1],
                    CONFIG.resolve(check[2]).toString());
            assertThat((int) result[0]).as("promtool " + String.join(" ", check) + ":\n" + result[1]).isZero();
            assertThat((String) result[1]).contains("SUCCESS");
        }
    }

    @Test
    void everyAlertHasAUnitTestThatExpectsItToFire() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : yaml.readTree(CONFIG.resolve("alerts.yml").toFile()).get("groups")) {
            group.get("rules").forEach(rule -> alerts.add(rule.get("alert").asText()));
        }
        Set<String> firing = new TreeSet<>();
        for (JsonNode test : yaml.readTree(CONFIG.resolve("alerts-tests.yml").toFile()).get("tests")) {
            for (JsonNode check : test.get("alert_rule_test")) {
                if (!check.get("exp_alerts").isEmpty()) {
                    firing.add(check.get("alertname").asText());
                }
            }
        }
        assertThat(firing).isEqualTo(alerts);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private JsonNode query(int port, String promql) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.path("status").asText()).as(answer.body()).isEqualTo("success");
        return body.path("data").path("result");
    }

    /**
     * Metrics registered on first use, which this test's gateway does not use: each is asserted exported by the
     * test of its feature (UsageMeteringTest, FallbackTest, SharedStateTest).
     */
    private static final Set<String> LAZY = Set.of("gateway_ai_tokens_total", "gateway_fallbacks_total",
            "gateway_redis_up");

    /** Every PromQL expression of config/grafana's dashboard runs in the real Prometheus, on exported metrics. */
    private void assertTheDashboardsQueriesRun(int port, String exported) throws Exception {
        JsonNode dashboard = JSON.readTree(CONFIG.resolve("grafana/dashboards/gateway.json").toFile());
        Pattern metric = Pattern.compile("\\b(?:gateway|jvm)_[a-z0-9_]+");
        int queries = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                String expr = target.get("expr").asText().replace("$instance", ".*").replace("$__rate_interval", "1m");
                query(port, expr);   // status success, or it says why
                queries++;
                Matcher names = metric.matcher(expr);
                while (names.find()) {
                    String name = names.group();
                    String family = name.replaceAll("_(bucket|count|sum)$", "");
                    assertThat(LAZY.contains(name) || exported.contains("\n" + name + "{")
                            || exported.contains("\n" + name + " ") || exported.contains("# TYPE " + family + " "))
                            .as(panel.path("title").asText() + " reads " + name + ", which the gateway exports").isTrue();
                }
            }
        }
        assertThat(queries).isGreaterThan(10);
    }

    @Test
    void aRealPrometheusScrapesALiveGateway(@TempDir Path dir) throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 3"));
        assertThat(gateway.get("/api/json?size=10").statusCode()).isEqualTo(200);
        int port = freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                rule_files: [%s]
                scrape_configs:
                  - job_name: gateway
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                """.formatted(CONFIG.resolve("alerts.yml").toAbsolutePath(), gateway.port()));
        List<String> command = new ArrayList<>(List.of("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port));
        Process prometheus = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                JsonNode requests = query(port, "sum by (route, status) (gateway_requests_seconds_count)");
                assertThat(requests).as("the request counter, as Prometheus scraped it").isNotEmpty();
                assertThat(requests.get(0).path("metric").path("route").asText()).isEqualTo("/api/");
                assertThat(requests.get(0).path("value").get(1).asDouble()).isGreaterThanOrEqualTo(1);
            });
            JsonNode limit = query(port, "gateway_limiter_max_concurrent{limiter=\"ai\"}");
            assertThat(limit).hasSize(1);
            assertThat(limit.get(0).path("value").get(1).asText()).isEqualTo("3");
            JsonNode rules = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/rules")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(rules.at("/data/groups/0/rules")).as("the shipped rules, loaded").hasSize(8);
            assertTheDashboardsQueriesRun(port, gateway.get("/metrics").body());
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }
}
