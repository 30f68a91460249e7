package dev.platemate.gateway.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.OpenAiUpstream;
import dev.platemate.gateway.testing.RedisServer;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream's {@code token_limit}, end to end: admission reserves a request's estimate, the usage settles it,
 * a route without a limiter refuses 429 {@code token_limit}, a limited one waits, the provider's own count holds
 * the bucket, and two replicas share one bucket in Redis. The stand-in's usage is 15 tokens (11 prompt, 4 words).
 */
class TokenBudgetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** About 60 bytes: 15 tokens of prompt estimated, plus its max_tokens of 90, is over the 100 of the limit. */
    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":90,\"messages\":[]}";

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<TestGateway> gateways = new ArrayList<>();
    private OpenAiUpstream provider;
    private RedisServer redis;

    @BeforeEach
    void start() throws Exception {
        provider = new OpenAiUpstream();
    }

    @AfterEach
    void stop() throws Exception {
        for (TestGateway gateway : gateways) {
            gateway.close();
        }
        provider.close();
        if (redis != null) {
            redis.close();
        }
    }

    private TestGateway gateway(String tokenLimit, String routeExtra, String top) throws Exception {
        TestGateway gateway = TestGateway.start("""
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  openai:
                    url: %s
                    retries: 0
                    token_limit: {%s}
                %s
                routes:
                  - path: /openai/
                    upstream: openai
                    ai: true
                %s""".formatted(provider.url(), tokenLimit, top, routeExtra));
        gateways.add(gateway);
        return gateway;
    }

    private CompletableFuture<HttpResponse<String>> ask(TestGateway gateway, String query) {
        return ask(gateway, query, "anyone");
    }

    private CompletableFuture<HttpResponse<String>> ask(TestGateway gateway, String query, String caller) {
        return http.sendAsync(HttpRequest.newBuilder(gateway.uri("/openai/v1/chat/completions" + query))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .header("X-Client-Id", caller).POST(HttpRequest.BodyPublishers.ofString(ASK)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachCallerHasItsOwnTokensBesideItsRequests() throws Exception {
        TestGateway gateway = gateway("tokens: 1000000, per: 1m", "",
                "rate_limits: [{key: \"header:X-Client-Id\", tokens: 100, per: 1m}]");
        assertThat(ask(gateway, "", "alice").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> aliceAgain = ask(gateway, "", "alice").get(30, TimeUnit.SECONDS);
        HttpResponse<String> bob = ask(gateway, "", "bob").get(30, TimeUnit.SECONDS);

        assertThat(aliceAgain.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(aliceAgain.body()).path("error").path("message").asText()).contains("caller");
        assertThat(aliceAgain.headers().firstValue("ratelimit-remaining")).hasValue("85");
        assertThat(bob.statusCode()).isEqualTo(200);
        // the top list in /health/performance names callers by a hash of their header, never in clear
        String report = gateway.get("/health/performance").body();
        com.fasterxml.jackson.databind.JsonNode callers = JSON.readTree(report).path("ai_callers");
        String alice = "X-Client-Id#" + java.util.HexFormat.of().formatHex(java.security.MessageDigest
                .getInstance("SHA-256").digest("alice".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .substring(0, 12);
        assertThat(callers.findValuesAsText("caller")).contains(alice).hasSize(2);
        assertThat(report).doesNotContain("alice").doesNotContain("bob");
        // a tokens-only entry limits no requests: a GET that is not an AI body passes as often as it likes
        for (int i = 0; i < 5; i++) {
            assertThat(http.send(HttpRequest.newBuilder(gateway.uri("/openai/v1/models")).header("X-Client-Id",
                    "alice").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isNotEqualTo(429);
        }
    }

    @Test
    void theEstimateIsReservedAndWhatWasNotUsedComesBack() throws Exception {
        TestGateway gateway = gateway("tokens: 100, per: 1m", "", "");
        HttpResponse<String> first = ask(gateway, "").get(30, TimeUnit.SECONDS);
        HttpResponse<String> second = ask(gateway, "").get(30, TimeUnit.SECONDS);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(second.body()).path("error").path("type").asText()).isEqualTo("token_limit");
        assertThat(Long.parseLong(second.headers().firstValue("retry-after").orElseThrow())).isPositive();
        // 100 reserved for the first, 15 used: 85 came back, fewer than the second's 100
        assertThat(second.headers().firstValue("ratelimit-remaining")).hasValue("85");
        assertThat(second.headers().firstValue("ratelimit-limit")).hasValue("100");
        assertThat(provider.bodies).hasSize(1);
    }

    @Test
    void anAbsurdUsageFromTheProviderIsClampedAndStillAnswered() throws Exception {
        TestGateway gateway = gateway("tokens: 100, per: 1m", "", "");
        HttpResponse<String> absurd = ask(gateway, "?huge").get(30, TimeUnit.SECONDS);
        HttpResponse<String> next = ask(gateway, "").get(30, TimeUnit.SECONDS);

        assertThat(absurd.statusCode()).isEqualTo(200);
        assertThat(absurd.body()).contains("999999999999999999");
        assertThat(next.statusCode()).isEqualTo(429);   // the bucket owes a bucketful, no more
        assertThat(Long.parseLong(next.headers().firstValue("retry-after").orElseThrow()))
                .isBetween(1L, Duration.ofMinutes(3).toSeconds());
    }

    @Test
    void onALimitedRouteARequestWithoutTokensWaitsForThemInsteadOfBeingRefused() throws Exception {
        TestGateway gateway = gateway("tokens: 100, per: 2s", "    limiter: ai\n",
                "limiters:\n  ai: {max_concurrent: 4, max_queue: 10, queue_timeout: 10s}");
        List<CompletableFuture<HttpResponse<String>>> asked = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            asked.add(ask(gateway, ""));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> JSON.readTree(gateway.get("/health/performance").body())
                .path("limiters").path("ai").path("queued").asInt() >= 1);   // waiting for tokens is being queued
        for (CompletableFuture<HttpResponse<String>> answer : asked) {
            assertThat(answer.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(provider.bodies).hasSize(3);
        assertThat(gateway.gateway().limiterStats().get("ai").queued()).isZero();
    }

    @Test
    void theProvidersOwnCountOfWhatIsLeftHoldsTheBucket() throws Exception {
        TestGateway gateway = gateway("tokens: 100000, per: 1m", "", "");
        assertThat(ask(gateway, "?remaining=20").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = ask(gateway, "").get(30, TimeUnit.SECONDS);

        assertThat(refused.statusCode()).isEqualTo(429);
        // 20, and what refilled since (about 1700 a second): far below the 100000 it would otherwise hold
        assertThat(Long.parseLong(refused.headers().firstValue("ratelimit-remaining").orElseThrow()))
                .isBetween(20L, 5_000L);
    }

    @Test
    void twoReplicasShareOneBucketThroughRedis() throws Exception {
        redis = RedisServer.start();
        String shared = "redis: {url: \"" + redis.url() + "\", timeout: 500ms}";
        TestGateway one = gateway("tokens: 100, per: 1m", "", shared);
        TestGateway two = gateway("tokens: 100, per: 1m", "", shared);
        for (TestGateway replica : List.of(one, two)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.gateway().redisStats().up());
        }
        assertThat(ask(one, "").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> !redis.reply("KEYS *tokens:openai*").isEmpty());

        HttpResponse<String> onTheOther = ask(two, "").get(30, TimeUnit.SECONDS);
        assertThat(onTheOther.statusCode()).as("the first replica's use counts on the second").isEqualTo(429);
    }
}
