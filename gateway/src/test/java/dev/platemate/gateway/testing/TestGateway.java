package dev.platemate.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.Gateway;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.Transport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real gateway on a free loopback port, built from YAML written in the test. Closing it checks that nothing is
 * left held (no request in flight, no upstream connection leased, no waiter), then stops it.
 */
public final class TestGateway implements AutoCloseable {

    private final Gateway gateway;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    public static TestGateway start(String yaml) throws Exception {
        return start(yaml, Map.of());
    }

    public static TestGateway start(String yaml, Map<String, String> environment) throws Exception {
        return start(yaml, environment, Path.of("."));
    }

    /** @param baseDirectory where relative paths in the YAML (ca_file) are resolved from */
    public static TestGateway start(String yaml, Map<String, String> environment, Path baseDirectory)
            throws Exception {
        GatewayConfig config = new ConfigLoader(environment).parse(yaml, baseDirectory);
        return start(config, Probe.NONE);
    }

    /** A gateway whose requests tell {@code probe} of each stage they reach. */
    public static TestGateway start(String yaml, Probe probe) throws Exception {
        return start(new ConfigLoader(Map.of()).parse(yaml, Path.of(".")), probe);
    }

    /** A gateway on {@code transport} (epoll, io_uring or NIO). */
    public static TestGateway start(String yaml, Transport transport) throws Exception {
        return start(new ConfigLoader(Map.of()).parse(yaml, Path.of(".")), Probe.NONE, transport);
    }

    private static TestGateway start(GatewayConfig config, Probe probe) throws Exception {
        return start(config, probe, Transport.detect());
    }

    private static TestGateway start(GatewayConfig config, Probe probe, Transport transport) throws Exception {
        GatewayConfig onFreePort = config.withPort(0);
        Gateway gateway = new Gateway(onFreePort, () -> onFreePort, transport, probe);
        gateway.start();
        return new TestGateway(gateway);
    }

    /**
     * A gateway started from {@code file}, whose reloads read that file again (both on port 0, so the server
     * section stays equal).
     */
    public static TestGateway startFromFile(Path file) throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.of());
        Gateway gateway = new Gateway(loader.load(file).withPort(0), () -> loader.load(file).withPort(0),
                Transport.detect());
        gateway.start();
        return new TestGateway(gateway);
    }

    /** A config with one upstream named {@code test} routed at {@code /api/}, with short timeouts. */
    public static String config(String upstreamUrl) throws Exception {
        return config(upstreamUrl, "");
    }

    /** As {@link #config(String)}, with {@code upstreamExtra} lines added under the upstream (indented 4). */
    public static String config(String upstreamUrl, String upstreamExtra) throws Exception {
        return """
                server:
                  listen: 127.0.0.1:0
                  shutdown_timeout: 5s
                upstreams:
                  test:
                    url: %s
                    connect_timeout: 1s
                    response_timeout: 2s
                    idle_timeout: 2s
                    tls:
                      ca_file: %s
                    headers:
                      Authorization: Bearer ${TEST_KEY:-sk-test-secret}
                %s
                routes:
                  - path: /api/
                    upstream: test
                    strip_prefix: true
                """.formatted(upstreamUrl, TestUpstream.certificateFile(), upstreamExtra.indent(4).stripTrailing());
    }

    /**
     * {@code yaml} (from {@link #config}) with a limiter named {@code ai} guarding the {@code /api/} route.
     *
     * @param settings the limiter's keys in flow style, such as {@code max_concurrent: 5, max_queue: 10}
     */
    public static String withLimiter(String yaml, String settings) {
        return yaml.replace("routes:\n", "limiters:\n  ai: {" + settings + "}\nroutes:\n")
                .replace("    strip_prefix: true\n", "    strip_prefix: true\n    limiter: ai\n");
    }

    /**
     * {@code yaml} (from {@link #config}) with a cache on the {@code /api/} route.
     *
     * @param routeCache the route's cache keys in flow style, such as {@code ttl: 10m}
     * @param cache      the top-level cache section in flow style, such as {@code max_size: 1MiB}
     */
    public static String withCache(String yaml, String routeCache, String cache) {
        return yaml.replace("routes:\n", "cache: {" + cache + "}\nroutes:\n")
                .replace("    strip_prefix: true\n", "    strip_prefix: true\n    cache: {" + routeCache + "}\n");
    }

    public Gateway gateway() {
        return gateway;
    }

    public int port() {
        return gateway.address().getPort();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    public HttpClient client() {
        return client;
    }

    public HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public PoolStats upstream(String name) {
        return gateway.upstreamStats().get(name);
    }

    /**
     * Waits until no request is in flight, no upstream connection is leased or awaited, no limiter holds a slot or
     * a waiter, and no cache fill is open.
     */
    public void awaitQuiet() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(gateway.lifecycle().inFlight()).as("requests in flight").isZero();
            gateway.upstreamStats().forEach((name, stats) -> {
                assertThat(stats.active()).as(name + " leased connections").isZero();
                assertThat(stats.pending()).as(name + " waiting acquisitions").isZero();
            });
            gateway.limiterStats().forEach((name, stats) -> {
                assertThat(stats.active()).as(name + " slots held").isZero();
                assertThat(stats.queued()).as(name + " queued").isZero();
            });
            assertThat(gateway.fillsInFlight()).as("cache fills in flight").isZero();
        });
    }

    @Override
    public void close() throws Exception {
        try {
            awaitQuiet();
        } finally {
            gateway.stop();
        }
    }
}
