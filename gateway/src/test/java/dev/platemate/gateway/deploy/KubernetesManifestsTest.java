package dev.platemate.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/kubernetes}, rendered by the real {@code kubectl kustomize} (no cluster here): both overlays carry
 * gateway.yml as it is, every key it reads from the environment, the port it listens on, the probe paths it serves,
 * and a grace period longer than its shutdown_timeout; the sidecar is native, the shared Deployment has its
 * Service, Redis, disruption budget, queue-based scaling and ServiceMonitor wired to the right names.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static List<JsonNode> render(String overlay) throws Exception {
        Path rendered = Files.createTempFile("kustomize-" + overlay, ".yaml");
        Process kubectl = new ProcessBuilder("kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                ROOT.resolve("deploy/kubernetes/overlays").resolve(overlay).toString()).redirectErrorStream(true)
                .redirectOutput(rendered.toFile()).start();
        if (!kubectl.waitFor(60, TimeUnit.SECONDS)) {
            kubectl.destroyForcibly();
            throw new AssertionError("kubectl kustomize " + overlay + " did not end within 60 s");
        }
        String out = Files.readString(rendered, StandardCharsets.UTF_8);
        Files.delete(rendered);
        assertThat(kubectl.exitValue()).as("kubectl kustomize " + overlay + ":\n" + out).isZero();
        List<JsonNode> documents = new ArrayList<>();
        YAML.readerFor(JsonNode.class).readValues(out).forEachRemaining(node -> documents.add((JsonNode) node));
        return documents;
    }

    /** The one {@code kind} named {@code name} (a generated ConfigMap or Secret: with kustomize's hash after it). */
    private static JsonNode one(List<JsonNode> documents, String kind, String name) {
        boolean generated = kind.equals("ConfigMap") || kind.equals("Secret");
        List<JsonNode> found = documents.stream().filter(d -> d.path("kind").asText().equals(kind)).filter(d -> {
            String actual = d.path("metadata").path("name").asText();
            return actual.equals(name) || generated && actual.matches(Pattern.quote(name) + "-[a-z0-9]{10}");
        }).toList();
        assertThat(found).as(kind + " " + name).hasSize(1);
        return found.get(0);
    }

    private static GatewayConfig gatewayYml() throws Exception {
        return new ConfigLoader(Map.of()).load(ROOT.resolve("gateway.yml"));
    }

    /** The environment variables gateway.yml names ({@code ${VAR}} and {@code ${VAR:-default}}). */
    private static Set<String> variables() throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher variable = Pattern.compile("\\$\\{([A-Z0-9_]+)").matcher(Files.readString(ROOT.resolve("gateway.yml")));
        while (variable.find()) {
            names.add(variable.group(1));
        }
        return names;
    }

    /** Checks the gateway container against gateway.yml and the rendered ConfigMap and Secret. */
    private static void assertGateway(JsonNode pod, JsonNode gateway, List<JsonNode> documents, Set<String> extraEnv)
            throws Exception {
        GatewayConfig config = gatewayYml();
        JsonNode configMap = one(documents, "ConfigMap", "gateway-config");
        assertThat(configMap.at("/data/gateway.yml").asText()).as("gateway.yml, as it is")
                .isEqualTo(Files.readString(ROOT.resolve("gateway.yml")));
        JsonNode secret = one(documents, "Secret", "gateway-secrets");
        Set<String> provided = new TreeSet<>(extraEnv);
        secret.path("data").fieldNames().forEachRemaining(provided::add);
        assertThat(provided).as("every variable gateway.yml reads").containsAll(variables());
        assertThat(gateway.at("/envFrom/0/secretRef/name").asText()).isEqualTo(secret.at("/metadata/name").asText());

        assertThat(gateway.at("/ports/0/containerPort").asInt()).isEqualTo(config.server().port());
        assertThat(probePath(gateway.get("livenessProbe"))).isEqualTo("/health/live");
        assertThat(probePath(gateway.get("readinessProbe"))).isEqualTo("/health/ready");
        assertThat(gateway.at("/resources/requests/cpu").isMissingNode()).as("resource requests").isFalse();
        List<String> args = StreamSupport.stream(gateway.get("args").spliterator(), false).map(JsonNode::asText)
                .toList();
        String mount = gateway.at("/volumeMounts/0/mountPath").asText();
        assertThat(args).containsExactly("run", "-c", mount + "/gateway.yml");
        String volume = gateway.at("/volumeMounts/0/name").asText();
        JsonNode volumes = pod.get("volumes");
        assertThat(StreamSupport.stream(volumes.spliterator(), false).filter(v -> v.path("name").asText()
                .equals(volume)).map(v -> v.at("/configMap/name").asText())).containsExactly(
                configMap.at("/metadata/name").asText());
        assertThat(pod.path("terminationGracePeriodSeconds").asLong()).as("longer than shutdown_timeout")
                .isGreaterThan(config.server().shutdownTimeout().toSeconds());
    }

    /** What a probe asks for: an HTTP GET's path, or the path a probe run inside the pod sends (a loopback gateway). */
    private static String probePath(JsonNode probe) {
        if (probe.has("httpGet")) {
            return probe.at("/httpGet/path").asText();
        }
        Matcher get = Pattern.compile("GET (\\S+) HTTP").matcher(probe.at("/exec/command").toString());
        assertThat(get.find()).as("a probe that asks for a path: " + probe).isTrue();
        return get.group(1);
    }

    private static String env(JsonNode container, String name) {
        return StreamSupport.stream(container.path("env").spliterator(), false)
                .filter(env -> env.path("name").asText().equals(name)).findFirst()
                .map(env -> env.path("value").asText()).orElse(null);
    }

    @Test
    void theSidecarOverlayRunsTheGatewayAsANativeSidecarOfTheBackend() throws Exception {
        List<JsonNode> documents = render("sidecar");
        JsonNode backend = one(documents, "Deployment", "platemate-backend");
        JsonNode pod = backend.at("/spec/template/spec");
        JsonNode gateway = pod.at("/initContainers/0");
        assertThat(gateway.path("name").asText()).isEqualTo("gateway");
        assertThat(gateway.path("restartPolicy").asText()).as("a native sidecar").isEqualTo("Always");
        assertGateway(pod, gateway, documents, Set.of("REDIS_URL", "GATEWAY_LISTEN"));   // alone in its pod: no Redis
        assertThat(env(gateway, "GATEWAY_LISTEN")).as("only its own pod may use the keys")
                .isEqualTo("127.0.0.1:" + gatewayYml().server().port());
        assertThat(gateway.path("startupProbe").has("exec")).as("a loopback gateway is probed from inside").isTrue();

        Set<String> routes = new TreeSet<>();
        gatewayYml().routes().forEach(route -> routes.add(route.path()));
        for (JsonNode env : pod.at("/containers/0/env")) {
            String url = env.path("value").asText();
            assertThat(url).as(env.path("name").asText()).startsWith("http://localhost:" + gatewayYml().server().port()
                    + "/");
            String path = url.substring(url.indexOf('/', "http://".length()));
            assertThat(routes).as("a route of gateway.yml serves " + url)
                    .anyMatch(route -> (path + "/").startsWith(route));
        }
        JsonNode pdb = one(documents, "PodDisruptionBudget", "platemate-backend");
        assertThat(pdb.at("/spec/selector/matchLabels")).isEqualTo(backend.at("/spec/selector/matchLabels"));
    }

    @Test
    void theSharedOverlayRunsReplicasWithRedisAServiceAndQueueBasedScaling() throws Exception {
        List<JsonNode> documents = render("shared");
        JsonNode deployment = one(documents, "Deployment", "gateway");
        JsonNode pod = deployment.at("/spec/template/spec");
        JsonNode gateway = pod.at("/containers/0");
        assertThat(deployment.at("/spec/replicas").asInt()).isGreaterThan(1);
        assertGateway(pod, gateway, documents, Set.of("REDIS_URL", "GATEWAY_LISTEN"));
        JsonNode labels = deployment.at("/spec/template/metadata/labels");

        JsonNode service = one(documents, "Service", "gateway");
        assertThat(service.at("/spec/selector")).isEqualTo(labels);
        assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo(gateway.at("/ports/0/name").asText());

        JsonNode redisService = one(documents, "Service", "gateway-redis");
        String redisUrl = env(gateway, "REDIS_URL");
        assertThat(redisUrl).isEqualTo("redis://" + redisService.at("/metadata/name").asText() + ":"
                + redisService.at("/spec/ports/0/port").asInt());
        assertThat(one(documents, "Deployment", "gateway-redis").at("/spec/template/metadata/labels"))
                .isEqualTo(redisService.at("/spec/selector"));

        assertThat(one(documents, "PodDisruptionBudget", "gateway").at("/spec/selector/matchLabels"))
                .isEqualTo(labels);
        JsonNode scaler = one(documents, "ScaledObject", "gateway");
        assertThat(scaler.at("/spec/scaleTargetRef/name").asText()).isEqualTo(deployment.at("/metadata/name").asText());
        assertThat(scaler.at("/spec/triggers/0/type").asText()).isEqualTo("prometheus");
        assertThat(scaler.at("/spec/triggers/0/metadata/query").asText()).as("the queue of all replicas")
                .startsWith("sum(gateway_limiter_queued");
        JsonNode monitor = one(documents, "ServiceMonitor", "gateway");
        assertThat(monitor.at("/spec/selector/matchLabels")).isEqualTo(service.at("/metadata/labels"));
        assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo(service.at("/spec/ports/0/name").asText());
        assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
        assertThat(monitor.at("/spec/endpoints/0/bearerTokenSecret/name").asText()).as("the Secret, by its name")
                .isEqualTo(one(documents, "Secret", "gateway-secrets").at("/metadata/name").asText());
        JsonNode policy = one(documents, "NetworkPolicy", "gateway");
        assertThat(policy.at("/spec/podSelector/matchLabels")).isEqualTo(labels);
        assertThat(policy.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(gatewayYml().server().port());
        assertThat(policy.at("/spec/ingress/0/from")).as("only its clients and the monitoring namespace").hasSize(2);
    }
}
