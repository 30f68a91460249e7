package dev.platemate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String MINIMAL = """
            upstreams:
              openai:
                url: https://api.openai.com
            routes:
              - path: /openai/
                upstream: openai
            """;

    private static GatewayConfig parse(String yaml, Map<String, String> env) throws ConfigException {
        return new ConfigLoader(env).parse(yaml, Path.of("."));
    }

    private static ConfigException errors(String yaml) {
        try {
            parse(yaml, Map.of());
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected the config to be refused");
    }

    @Test
    void defaultsFollowTheDesign() throws Exception {
        GatewayConfig config = parse(MINIMAL, Map.of());

        assertThat(config.server().host()).isEqualTo("0.0.0.0");
        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().maxRequestLine()).isEqualTo(DataSize.ofKibibytes(8));
        assertThat(config.server().maxHeaderSize()).isEqualTo(DataSize.ofKibibytes(32));
        assertThat(config.server().maxBodySize()).isEqualTo(DataSize.ofMebibytes(25));
        assertThat(config.server().headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.server().shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
        UpstreamConfig openai = config.upstreams().get("openai");
        assertThat(openai.secure()).isTrue();
        assertThat(openai.port()).isEqualTo(443);
        assertThat(openai.authority()).isEqualTo("api.openai.com");
        assertThat(openai.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(openai.responseTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(openai.pool().maxConnections()).isEqualTo(64);
        assertThat(openai.pool().maxPending()).isEqualTo(1024);
        assertThat(openai.tls().verify()).isTrue();
        assertThat(openai.rateLimit()).isEmpty();
        assertThat(config.routes().get(0).stripPrefix()).isTrue();
        assertThat(config.cache().maxSize()).isEqualTo(DataSize.ofMebibytes(256));
        assertThat(config.redis().enabled()).isFalse();
    }

    @Test
    void theShippedGatewayYmlIsValid() throws Exception {
        GatewayConfig config = new ConfigLoader(Map.of()).load(Path.of("../gateway.yml"));
        assertThat(config.upstreams()).containsOnlyKeys("openai", "deepseek", "fatsecret");
        assertThat(config.routes()).extracting(RouteConfig::path)
                .containsExactly("/openai/", "/deepseek/", "/realtime/", "/fatsecret/");
        assertThat(config.upstreams().get("openai").headers()).containsEntry("Authorization", "Bearer ");
    }

    @Test
    void everySectionIsParsed() throws Exception {
        GatewayConfig config = parse("""
                server:
                  listen: 127.0.0.1:9090
                  io_threads: 2
                  max_body_size: 1MiB
                  header_timeout: 250ms
                  trusted_proxies: [10.0.0.0/8, "::1"]
                admin:
                  token: secret
                upstreams:
                  food:
                    url: http://food.local:8081/api/
                    egress_proxy: socks5://127.0.0.1:1080
                    tls: {verify: false}
                    pool: {max_connections: 4, max_pending: 8, idle_timeout: 5m, max_requests_per_connection: 100}
                    rate_limit: {requests: 10, per: 1s, max_wait: 100ms}
                    circuit_breaker: {failure_threshold: 3, open_for: 10s}
                    retries: 2
                limiters:
                  ai: {max_concurrent: 3, max_queue: 7, queue_timeout: 1m, pause_on_429: false}
                cache: {max_size: 64MiB, max_entry_size: 1MiB, sweep_interval: 10s}
                rate_limits:
                  - {key: "header:X-Client-Id", requests: 60, per: 1m}
                  - {key: ip, requests: 5, per: 1s}
                redis: {url: "redis://127.0.0.1:6379"}
                routes:
                  - path: /food/
                    upstream: food
                    strip_prefix: false
                    limiter: ai
                    cache: {ttl: 10m, methods: [GET, post], stale_while_revalidate: 30s}
                """, Map.of());

        assertThat(config.server().port()).isEqualTo(9090);
        assertThat(config.server().maxBodySize().bytes()).isEqualTo(1 << 20);
        assertThat(config.server().headerTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.server().trustedProxies()).hasSize(2);
        UpstreamConfig food = config.upstreams().get("food");
        assertThat(food.basePath()).isEqualTo("/api");
        assertThat(food.authority()).isEqualTo("food.local:8081");
        assertThat(food.egressProxy()).contains(new UpstreamConfig.EgressProxy(UpstreamConfig.EgressProxy.Kind.SOCKS5,
                "127.0.0.1", 1080));
        assertThat(food.pool().idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(food.rateLimit()).contains(new UpstreamConfig.RateLimitConfig(10, Duration.ofSeconds(1),
                Duration.ofMillis(100)));
        assertThat(food.circuitBreaker().failureThreshold()).isEqualTo(3);
        assertThat(food.retries()).isEqualTo(2);
        assertThat(config.limiters().get("ai").maxQueue()).isEqualTo(7);
        assertThat(config.rateLimits().get(0).header()).contains("X-Client-Id");
        assertThat(config.rateLimits().get(1).header()).isEmpty();
        assertThat(config.redis().enabled()).isTrue();
        assertThat(config.routes().get(0).cache().orElseThrow().methods()).containsExactly("GET", "POST");
        assertThat(config.admin().tokenRequired()).isTrue();
        assertThat(config.admin().toString()).doesNotContain("secret");
    }

    @Test
    void aiRoutesAndPricesAreParsedAndTheirMistakesNamed() throws Exception {
        GatewayConfig config = parse("""
                upstreams:
                  openai:
                    url: https://api.openai.com
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                  - path: /plain/
                    upstream: openai
                    ai: {inject_stream_usage: false}
                  - path: /none/
                    upstream: openai
                    ai: false
                ai:
                  prices:
                    gpt-4o-mini: {prompt: 0.15, cached: 0.075, completion: 0.60}
                    cheap: {prompt: 1}
                """, Map.of());
        assertThat(config.routes().get(0).ai()).contains(AiRouteConfig.DEFAULTS);
        assertThat(config.routes().get(1).ai()).contains(new AiRouteConfig(false));
        assertThat(config.routes().get(2).ai()).isEmpty();
        assertThat(config.ai().price("gpt-4o-mini")).contains(new AiConfig.ModelPrice(0.15, 0.075, 0.60));
        assertThat(config.ai().price("cheap")).contains(new AiConfig.ModelPrice(1, 1, 0));
        assertThat(config.ai().price("gpt-4o-mini-2024-07-18")).as("a dated answer takes its model's price")
                .contains(new AiConfig.ModelPrice(0.15, 0.075, 0.60));
        assertThat(config.ai().price("gpt-4o")).isEmpty();
        GatewayConfig limits = parse(MINIMAL + """
                rate_limits:
                  - {key: "header:X-Client-Id", tokens: 100000, per: 1m}
                  - {key: ip, requests: 10, tokens: 500, per: 1s}
                """, Map.of());
        assertThat(limits.rateLimits()).extracting(CallerRateLimitConfig::requests, CallerRateLimitConfig::tokens)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 100_000L),
                        org.assertj.core.groups.Tuple.tuple(10L, 500L));

        assertThat(errors(MINIMAL + "    ai: {inject: true}\nai: {prices: {m: {prompt: -1}}}\n").errors())
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].ai.inject: unknown key"))
                .anySatisfy(e -> assertThat(e).startsWith("ai.prices.m.prompt: '-1'"));
    }

    @Test
    void fallbackAndAdaptiveSlotsAreParsedAndTheirMistakesNamed() throws Exception {
        GatewayConfig config = parse("""
                upstreams:
                  openai: {url: https://api.openai.com}
                  deepseek: {url: https://api.deepseek.com}
                limiters:
                  ai:
                    max_concurrent: 8
                    adaptive: {min: 2, max: 32}
                routes:
                  - path: /openai/
                    upstream: openai
                    limiter: ai
                    fallback: [deepseek]
                    model_map:
                      deepseek: {gpt-4o-mini: deepseek-chat}
                    fallback_on: [connect, 5xx]
                """, Map.of());
        FallbackConfig fallback = config.routes().get(0).fallback().orElseThrow();
        assertThat(fallback.upstreams()).containsExactly("deepseek");
        assertThat(fallback.modelFor("deepseek", "gpt-4o-mini")).isEqualTo("deepseek-chat");
        assertThat(fallback.modelFor("deepseek", "o3")).isEqualTo("o3");
        assertThat(fallback.on()).containsExactlyInAnyOrder(FallbackConfig.Trigger.CONNECT,
                FallbackConfig.Trigger.SERVER_ERROR);
        assertThat(config.limiters().get("ai").adaptive()).contains(new LimiterConfig.Adaptive(2, 32));

        assertThat(errors("""
                upstreams:
                  openai: {url: https://api.openai.com}
                  deepseek: {url: https://api.deepseek.com}
                limiters:
                  ai: {max_concurrent: 4, adaptive: {min: 5, max: 3}}
                routes:
                  - path: /openai/
                    upstream: openai
                    fallback: [openai, nowhere]
                    model_map: {fatsecret: {a: b}}
                    fallback_on: [sometimes]
                  - path: /other/
                    upstream: openai
                    model_map: {deepseek: {a: b}}
                """).errors())
                .anySatisfy(e -> assertThat(e).startsWith("limiters.ai.adaptive.min: '5'"))
                .anySatisfy(e -> assertThat(e).startsWith("limiters.ai.adaptive.max: '3'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].fallback: 'openai'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].fallback: 'nowhere'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].model_map.fatsecret: 'fatsecret'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].fallback_on: 'sometimes'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[1].model_map:"));
    }

    @Test
    void websocketRoutesAndTheirLimitsAreParsedAndTheirMistakesNamed() throws Exception {
        GatewayConfig config = parse(MINIMAL + """
                    websocket: true
                  - path: /realtime/
                    upstream: openai
                    websocket: true
                    max_message_size: 2MiB
                    idle_timeout: 30s
                    max_session: 15m
                """, Map.of());
        assertThat(config.routes().get(0).websocket()).contains(new WebSocketConfig(DataSize.ofMebibytes(1),
                Duration.ofMinutes(5), Duration.ofHours(1)));
        assertThat(config.routes().get(1).websocket()).contains(new WebSocketConfig(DataSize.ofMebibytes(2),
                Duration.ofSeconds(30), Duration.ofMinutes(15)));
        assertThat(parse(MINIMAL, Map.of()).routes().get(0).websocket()).isEmpty();

        assertThat(errors(MINIMAL + """
                    max_session: 1h
                  - path: /realtime/
                    upstream: openai
                    websocket: true
                    max_message_size: 100B
                    idle_timeout: 0s
                """).errors())
                .anySatisfy(e -> assertThat(e).startsWith("routes[0].max_session: ''"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[1].max_message_size: '100'"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[1].idle_timeout:"));
    }

    @Test
    void oauthClientCredentialsAreParsedOnlyWithAClientAndTheirMistakesNamed() throws Exception {
        String yaml = """
                upstreams:
                  food:
                    url: https://platform.fatsecret.com
                    auth:
                      oauth2_client_credentials:
                        token_url: https://oauth.fatsecret.com:8443/connect/token?x=1
                        client_id: ${ID:-}
                        client_secret: ${SECRET:-}
                        scope: basic
                        refresh_before: 10m
                routes:
                  - {path: /food/, upstream: food}
                """;
        OAuthConfig auth = parse(yaml, Map.of("ID", "me", "SECRET", "hush")).upstreams().get("food").auth()
                .orElseThrow();
        assertThat(auth.authority()).isEqualTo("oauth.fatsecret.com:8443");
        assertThat(auth.target()).isEqualTo("/connect/token?x=1");
        assertThat(auth.scope()).isEqualTo("basic");
        assertThat(auth.refreshBefore()).contains(Duration.ofMinutes(10));
        assertThat(auth.toString()).doesNotContain("hush");
        assertThat(parse(yaml, Map.of()).upstreams().get("food").auth()).as("no client: no auth").isEmpty();

        assertThat(errors("""
                upstreams:
                  food:
                    url: https://platform.fatsecret.com
                    headers: {Authorization: "Bearer x"}
                    auth:
                      oauth2_client_credentials: {token_url: "ftp://x", client_id: a, client_secret: b, grant: c}
                routes:
                  - {path: /food/, upstream: food}
                """).errors())
                .anySatisfy(e -> assertThat(e).startsWith("upstreams.food.auth:"))
                .anySatisfy(e -> assertThat(e).startsWith(
                        "upstreams.food.auth.oauth2_client_credentials.token_url: 'ftp://x'"))
                .anySatisfy(e -> assertThat(e).startsWith(
                        "upstreams.food.auth.oauth2_client_credentials.grant: unknown key"));
    }

    @Test
    void aRouteMayNotCaptureTheGatewaysOwnPathsButMayStartLikeAnExactOne() throws Exception {
        String routes = """
                upstreams:
                  a: {url: "http://a"}
                routes:
                  - {path: %s, upstream: a}
                """;
        assertThat(parse(routes.formatted("/dashboards/"), Map.of()).routes()).hasSize(1);
        assertThat(parse(routes.formatted("/metrics-archive/"), Map.of()).routes()).hasSize(1);
        for (String captured : List.of("/dashboard/", "/metrics/", "/admin/x/", "/")) {
            assertThat(errors(routes.formatted(captured)).errors()).as(captured)
                    .anySatisfy(e -> assertThat(e).contains("does not overlap the gateway's own paths"));
        }
    }

    @Test
    void environmentReferencesAreReplaced() throws Exception {
        GatewayConfig config = parse("""
                server:
                  listen: 127.0.0.1:${PORT:-7000}
                upstreams:
                  openai:
                    url: ${OPENAI_URL}
                    headers:
                      Authorization: Bearer ${OPENAI_API_KEY:-}
                routes:
                  - path: /openai/
                    upstream: openai
                """, Map.of("OPENAI_URL", "http://127.0.0.1:9999", "OPENAI_API_KEY", "sk-123"));

        assertThat(config.server().port()).isEqualTo(7000);
        assertThat(config.upstreams().get("openai").port()).isEqualTo(9999);
        assertThat(config.upstreams().get("openai").headers()).containsEntry("Authorization", "Bearer sk-123");
        assertThat(config.upstreams().get("openai").toString()).doesNotContain("sk-123");
    }

    @Test
    void unsetVariableWithoutDefaultIsAnError() {
        assertThat(errors(MINIMAL.replace("https://api.openai.com", "${NOPE}")).errors())
                .anySatisfy(e -> assertThat(e).startsWith("upstreams.openai.url: '${NOPE}'")
                        .contains("environment variable NOPE"));
    }

    @Test
    void unknownUpstreamIsNamedWithTheChoices() {
        ConfigException e = errors("""
                upstreams:
                  openai: {url: "https://api.openai.com"}
                  deepseek: {url: "https://api.deepseek.com"}
                  fatsecret: {url: "https://platform.fatsecret.com"}
                routes:
                  - {path: /openai/, upstream: openai}
                  - {path: /x/, upstream: opneai}
                """);
        assertThat(e.errors()).containsExactly(
                "routes[1].upstream: 'opneai' (expected: one of openai, deepseek, fatsecret)");
    }

    @Test
    void allErrorsAreCollectedWithPathValueAndExpectation() {
        ConfigException e = errors("""
                server:
                  listen: nowhere
                  header_timeout: soon
                  max_body_size: huge
                  lisen: 1
                upstreams:
                  openai:
                    url: ftp://x
                    pool: {max_connections: 0}
                    egress_proxy: gopher://x:1
                limiters:
                  ai: {max_concurrent: -1}
                routes:
                  - {path: /health/, upstream: openai}
                  - {path: openai, upstream: openai, limiter: nope}
                """);
        assertThat(e.errors()).containsExactlyInAnyOrder(
                "server.listen: 'nowhere' (expected: host:port, such as 0.0.0.0:8080)",
                "server.header_timeout: 'soon' (expected: a duration such as 250ms, 30s, 5m or 1h)",
                "server.max_body_size: 'huge' (expected: a size such as 512, 64KiB or 25MiB)",
                "server.lisen: unknown key (expected one of: listen, trusted_proxies, io_threads, max_connections, "
                        + "max_request_line, max_header_size, max_body_size, header_timeout, idle_timeout, "
                        + "shutdown_timeout)",
                "upstreams.openai.url: 'ftp://x' (expected: http:// or https:// with a host, an optional port and "
                        + "base path, no query)",
                "upstreams.openai.egress_proxy: 'gopher://x:1' (expected: http://host:port or socks5://host:port, "
                        + "or empty)",
                "upstreams.openai.pool.max_connections: '0' (expected: a whole number from 1 to 100000)",
                "limiters.ai.max_concurrent: '-1' (expected: a whole number from 1 to 100000)",
                "routes[0].path: '/health/' (expected: a prefix that does not overlap the gateway's own paths "
                        + "/health/, /metrics, /admin/, /dashboard)",
                "routes[1].path: 'openai' (expected: a prefix that starts and ends with '/', such as /openai/)",
                "routes[1].limiter: 'nope' (expected: one of ai)");
    }

    @Test
    void aCatchAllRouteWouldShadowTheGatewaysPathsAndIsRefused() {
        assertThat(errors(MINIMAL.replace("path: /openai/", "path: /")).errors()).singleElement()
                .asString().startsWith("routes[0].path: '/'");
    }

    @Test
    void redisSettingsHaveDefaultsAndBounds() throws Exception {
        RedisConfig defaults = parse(MINIMAL, Map.of()).redis();
        assertThat(defaults.timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.slotLease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.fallbackShare()).isEqualTo(0.5);
        assertThat(defaults.shareOf(5)).isEqualTo(3);
        assertThat(defaults.shareOf(1)).isEqualTo(1);

        RedisConfig set = parse(MINIMAL + "redis: {url: \"redis://r:6379\", timeout: 1s, slot_lease: 10s, "
                + "fallback_share: 0.25}\n", Map.of()).redis();
        assertThat(set.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(set.slotLease()).isEqualTo(Duration.ofSeconds(10));
        assertThat(set.shareOf(60)).isEqualTo(15);

        assertThat(errors(MINIMAL + "redis: {url: \"http://r\", fallback_share: 0, slot_lease: 0s}\n").errors())
                .containsExactlyInAnyOrder(
                        "redis.url: 'http://r' (expected: redis://host:port, or empty for none)",
                        "redis.slot_lease: '0s' (expected: a duration above zero)",
                        "redis.fallback_share: '0' (expected: a number above 0 and at most 1, such as 0.5)");
    }

    @Test
    void invalidYamlIsReportedWithItsLine() {
        assertThatThrownBy(() -> parse("server:\n  listen: [\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void caFileMustBeReadable(@TempDir Path dir) throws Exception {
        assertThat(errors(MINIMAL.replace("url: https://api.openai.com",
                "url: https://api.openai.com\n    tls: {ca_file: missing.pem}")).errors())
                .containsExactly("upstreams.openai.tls.ca_file: 'missing.pem' (expected: a readable PEM file)");
        Path pem = Files.writeString(dir.resolve("ca.pem"), "x");
        GatewayConfig config = new ConfigLoader(Map.of()).parse(MINIMAL.replace("url: https://api.openai.com",
                "url: https://api.openai.com\n    tls: {ca_file: ca.pem}"), dir);
        assertThat(config.upstreams().get("openai").tls().caFile()).isEqualTo(pem.toString());
    }

    @Test
    void sizesAndDurationsParse() {
        assertThat(DataSize.parse("64KiB")).contains(DataSize.ofKibibytes(64));
        assertThat(DataSize.parse("25MiB")).contains(DataSize.ofMebibytes(25));
        assertThat(DataSize.parse("512")).contains(DataSize.ofBytes(512));
        assertThat(DataSize.parse("1GiB")).contains(DataSize.ofMebibytes(1024));
        assertThat(DataSize.parse("-1")).isEmpty();
        assertThat(DataSize.parse("KiB")).isEmpty();
        assertThat(Durations.parse("250ms")).contains(Duration.ofMillis(250));
        assertThat(Durations.parse("5m")).contains(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).contains(Duration.ofHours(1));
        assertThat(Durations.parse("5")).isEmpty();
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
    }

    @Test
    void cidrsMatchTheirAddresses() throws Exception {
        Cidr block = Cidr.parse("10.0.0.0/8").orElseThrow();
        assertThat(block.contains(java.net.InetAddress.getByName("10.200.1.1"))).isTrue();
        assertThat(block.contains(java.net.InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(Cidr.parse("192.168.1.7").orElseThrow().contains(java.net.InetAddress.getByName("192.168.1.7")))
                .isTrue();
        assertThat(Cidr.parse("example.com")).isEmpty();
        assertThat(Cidr.parse("10.0.0.0/33")).isEmpty();
    }
}
