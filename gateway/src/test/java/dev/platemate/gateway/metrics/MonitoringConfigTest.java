package dev.platemate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code config/alerts.yml} encodes the operations guide's thresholds over metrics the gateway really exports, and
 * {@code config/prometheus.yml} scrapes {@code /metrics} with those rules.
 */
class MonitoringConfigTest {

    static final Path CONFIG = Path.of("..", "config");
    private static final Pattern METRIC = Pattern.compile("\\b(?:gateway|jvm)_[a-z0-9_]+");

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

    private Map<String, JsonNode> rules() throws Exception {
        Map<String, JsonNode> rules = new LinkedHashMap<>();
        for (JsonNode group : yaml.readTree(CONFIG.resolve("alerts.yml").toFile()).get("groups")) {
            group.get("rules").forEach(rule -> rules.put(rule.get("alert").asText(), rule));
        }
        return rules;
    }

    @Test
    void everyMetricTheRulesReadIsExported() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 2"));
        gateway.get("/api/json?size=10");
        String exported = gateway.get("/metrics").body();
        Set<String> referenced = new TreeSet<>();
        for (JsonNode rule : rules().values()) {
            Matcher metric = METRIC.matcher(rule.get("expr").asText());
            while (metric.find()) {
                referenced.add(metric.group());
            }
        }

        assertThat(referenced).contains("gateway_limiter_queued", "gateway_requests_seconds_bucket",
                "jvm_memory_used_bytes", "gateway_upstream_connections");
        for (String name : referenced) {
            assertThat(exported).as("exported by /metrics: " + name).containsPattern("(?m)^" + name + "[{ ]");
        }
    }

    @Test
    void theRulesCarryTheGuidesThresholds() throws Exception {
        Map<String, JsonNode> rules = rules();

        assertThat(threshold(rules, "GatewayAiQueueHigh")).isEqualTo("> 10");
        assertThat(threshold(rules, "GatewayAiQueueCritical")).isEqualTo("> 20");
        assertThat(threshold(rules, "GatewayMemoryHigh")).isEqualTo("> 1e9");
        assertThat(threshold(rules, "GatewayUpstreamConnectionsHigh")).isEqualTo("> 200");
        assertThat(threshold(rules, "GatewayAiLatencyHigh")).isEqualTo("> 2");
        assertThat(threshold(rules, "GatewayAiLatencyCritical")).isEqualTo("> 5");
        assertThat(rules.get("GatewayAiTimeouts").get("expr").asText()).contains("status=\"504\"")
                .contains("reason=\"queue_timeout\"");
        rules.forEach((name, rule) -> {
            assertThat(rule.at("/labels/severity").asText()).as(name).isIn("warning", "critical");
            assertThat(rule.at("/annotations/summary").asText()).as(name).isNotBlank();
        });
    }

    @Test
    void prometheusScrapesTheMetricsEndpointWithTheseRules() throws Exception {
        JsonNode prometheus = yaml.readTree(CONFIG.resolve("prometheus.yml").toFile());

        assertThat(prometheus.get("rule_files").get(0).asText()).endsWith("alerts.yml");
        JsonNode job = prometheus.get("scrape_configs").get(0);
        assertThat(job.get("metrics_path").asText()).isEqualTo("/metrics");
        assertThat(job.at("/static_configs/0/targets")).isNotEmpty();
    }

    private static String threshold(Map<String, JsonNode> rules, String alert) {
        assertThat(rules).containsKey(alert);
        String expr = rules.get(alert).get("expr").asText().strip();
        Matcher comparison = Pattern.compile("[<>]=? *[0-9.e]+$").matcher(expr);
        assertThat(comparison.find()).as(alert + " ends with a comparison: " + expr).isTrue();
        return comparison.group();
    }
}
