package dev.platemate.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /dashboard} in a real browser (Debian's headless Chromium, which {@code .ci/run} installs) against a live
 * gateway under load: its charts have points, the numbers it shows are those of {@code /health/performance}, and a
 * screenshot is saved ({@code target/dashboard.png}). With an admin token the page asks for it; the history is
 * {@code GET /admin/series}, bounded and guarded like /admin/*.
 */
class DashboardBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    /** Runs headless Chromium on {@code url} for {@code virtualMillis} of page time; returns what it printed. */
    private static String chromium(Path profile, String url, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=6000",
                "--window-size=1280,1500"));
        command.addAll(List.of(more));
        command.add(url);
        Path output = profile.resolveSibling(profile.getFileName() + ".out");
        Process browser = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(output.toFile()).start();
        if (!browser.waitFor(90, TimeUnit.SECONDS)) {
            browser.destroyForcibly();
            throw new AssertionError("chromium did not end within 90 s");
        }
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    private static String shown(String dom, String metric) {
        Matcher value = Pattern.compile("data-metric=\"" + Pattern.quote(metric) + "\">([^<]*)<").matcher(dom);
        assertThat(value.find()).as("the page shows " + metric).isTrue();
        return value.group(1);
    }

    private static int points(String dom, String chart) {
        Matcher svg = Pattern.compile("<svg id=\"" + Pattern.quote(chart) + "\"[^>]*data-points=\"(\\d+)\"")
                .matcher(dom);
        assertThat(svg.find()).as("chart " + chart).isTrue();
        return Integer.parseInt(svg.group(1));
    }

    @Test
    void theDashboardShowsTheLiveGatewaysNumbersAndHistory(@TempDir Path profile) throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 3"));
        for (int i = 0; i < 20; i++) {
            assertThat(gateway.get("/api/json?size=" + (10 + i)).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(15)).until(() ->
                JSON.readTree(gateway.get("/admin/series").body()).path("times").size() >= 3);
        JsonNode series = JSON.readTree(gateway.get("/admin/series").body());
        assertThat(series.path("capacity").asInt()).isEqualTo(900);
        assertThat(series.at("/series/limiters.ai.max_concurrent/0").asDouble()).isEqualTo(3);

        assertThat(gateway.get("/nowhere").statusCode()).as("an error of the gateway's own").isEqualTo(404);
        await().atMost(Duration.ofSeconds(10)).until(() -> JSON.readTree(gateway.get("/admin/series").body())
                .path("series").has("errors.no_route"));
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {   // the page is looked at under load
            while (loading.get()) {
                try {
                    gateway.get("/api/json?size=64");
                } catch (Exception e) {
                    return;
                }
            }
        }, "dashboard-load");
        load.start();
        String dom;
        try {
            dom = chromium(profile, gateway.uri("/dashboard").toString(), "--dump-dom");
        } finally {
            loading.set(false);
            load.join(10_000);
        }
        JsonNode performance = JSON.readTree(gateway.get("/health/performance").body());
        assertThat(shown(dom, "status")).isEqualTo("ok");
        assertThat(shown(dom, "limiters.ai.max_concurrent")).isEqualTo(performance.at("/limiters/ai/max_concurrent")
                .asText());
        assertThat(shown(dom, "limiters.ai.queued")).isEqualTo(performance.at("/limiters/ai/queued").asText());
        assertThat(shown(dom, "cache.entries")).isEqualTo(performance.at("/cache/entries").asText());
        assertThat(shown(dom, "upstreams.test.circuit")).isEqualTo("closed");
        assertThat(points(dom, "limiter-ai")).as("the limiter's history is drawn").isPositive();
        assertThat(points(dom, "latency-test")).isPositive();
        assertThat(points(dom, "requests-test")).as("requests by status class").isPositive();
        assertThat(dom).contains("class=\"warn\"").contains("class=\"alert\"");   // the guide's thresholds
        assertThat(points(dom, "errors")).as("the gateway's own errors by type").isPositive();
        assertThat(dom).contains("no_route");

        Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        chromium(profile.resolve("shot"), gateway.uri("/dashboard").toString(), "--screenshot=" + screenshot);
        assertThat(screenshot).exists();
        assertThat(Files.size(screenshot)).as("a real picture").isGreaterThan(10_000);
    }

    @Test
    void withAnAdminTokenThePageAsksForItAndTheHistoryIsGuarded(@TempDir Path profile) throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url())
                .replace("routes:\n", "admin:\n  token: s3cret\nroutes:\n"));
        assertThat(gateway.get("/dashboard").statusCode()).as("the page itself holds no data").isEqualTo(200);
        assertThat(gateway.get("/admin/series").statusCode()).isEqualTo(401);
        HttpResponse<String> withToken = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/admin/series"))
                .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(withToken.statusCode()).isEqualTo(200);

        String dom = chromium(profile, gateway.uri("/dashboard").toString(), "--dump-dom");
        assertThat(dom).containsPattern("<form id=\"login\" style=\"display: block;\"");
        assertThat(dom).as("no data without the token").doesNotContain("data-metric=\"limiters.");
    }
}
