package dev.platemate.gateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cli.Main;
import dev.platemate.gateway.testing.RedisServer;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import picocli.CommandLine;

/**
 * Two gateway replicas sharing state through a real redis-server: cache entries, caller rate limits and AI slots;
 * and both keep serving when Redis dies, and share again when it comes back.
 */
class SharedStateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RedisServer redis;
    private TestUpstream upstream;
    private final List<TestGateway> replicas = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        upstream = TestUpstream.plain();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (TestGateway replica : replicas) {
                replica.close();
            }
        } finally {
            upstream.close();
            redis.close();
        }
    }

    /**
     * Two replicas with one Redis: {@code /api/} cached, {@code /ai/} behind limiter {@code ai}, and
     * {@code rateLimits} (flow-style entries) for every caller.
     */
    private List<TestGateway> replicas(String limiter, String rateLimits, String redisExtra) throws Exception {
        return replicas(limiter, rateLimits, redisExtra, "");
    }

    /** @param upstreamExtra YAML lines under the upstream, such as its {@code rate_limit} */
    private List<TestGateway> replicas(String limiter, String rateLimits, String redisExtra, String upstreamExtra)
            throws Exception {
        startReplicas(limiter, rateLimits, redisExtra, upstreamExtra);
        for (TestGateway replica : replicas) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.gateway().redisStats().up());
        }
        return replicas;
    }

    private void startReplicas(String limiter, String rateLimits, String redisExtra, String upstreamExtra)
            throws Exception {
        String yaml = TestGateway.config(upstream.url(), upstreamExtra).replace("routes:\n", """
                limiters:
                  ai: {%s}
                rate_limits: [%s]
                redis: {url: "%s", timeout: 500ms%s}
                routes:
                  - path: /ai/
                    upstream: test
                    strip_prefix: true
                    limiter: ai
                """.formatted(limiter, rateLimits, redis.url(), redisExtra))
                + "    cache: {ttl: 10m}\n";
        for (int i = 0; i < 2; i++) {
            replicas.add(TestGateway.start(yaml));
        }
    }

    private static CompletableFuture<HttpResponse<String>> send(TestGateway gateway, String path, String client) {
        return gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri(path)).header("X-Client-Id", client)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(TestGateway gateway, String path, String client) throws Exception {
        return send(gateway, path, client).get(30, TimeUnit.SECONDS);
    }

    /** Resources held in the cache's Redis tier (their expiry sets beside them are not counted). */
    private int cachedResources() throws Exception {
        return redis.reply("KEYS gw:cache:*").size();
    }

    private static JsonNode performance(TestGateway gateway) throws Exception {
        return JSON.readTree(gateway.get("/health/performance").body());
    }

    @Test
    void aResponseCachedByOneReplicaIsAHitOnTheOtherWithItsTtlCarried() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "");
        HttpResponse<String> filled = get(pair.get(0), "/api/cacheable?id=1", "a");
        assertThat(filled.headers().firstValue("x-cache")).hasValue("MISS");
        await().atMost(Duration.ofSeconds(5)).until(() -> cachedResources() == 1);

        HttpResponse<String> shared = get(pair.get(1), "/api/cacheable?id=1", "a");
        assertThat(shared.headers().firstValue("x-cache")).hasValue("HIT");
        assertThat(shared.body()).isEqualTo(filled.body());
        assertThat(shared.headers().firstValue("age")).isPresent();
        assertThat(upstream.cacheableServed.get()).isEqualTo(1);
        assertThat(pair.get(1).gateway().cache().stats().sharedHits()).isEqualTo(1);
        assertThat(performance(pair.get(1)).path("cache").path("shared_hits").asLong()).isEqualTo(1);

        // the route's ttl went to Redis with the entry
        String key = redis.reply("KEYS gw:cache:*").get(0);
        assertThat(key).startsWith("gw:cache:/api/:").doesNotContain("cacheable");
        long ttl = Long.parseLong(redis.command("PTTL " + key).substring(1));
        assertThat(ttl).isBetween(Duration.ofMinutes(9).toMillis(), Duration.ofMinutes(10).toMillis());

        // a purge on one replica empties Redis too, and the other replica's memory
        assertThat(pair.get(1).gateway().cache().stats().entries()).isEqualTo(1);
        HttpResponse<String> purge = pair.get(0).client().send(HttpRequest.newBuilder(pair.get(0).uri("/admin/cache"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(purge.statusCode()).isEqualTo(200);
        assertThat(redis.command("DBSIZE")).isEqualTo(":0");
        await().atMost(Duration.ofSeconds(5)).until(() -> pair.get(1).gateway().cache().stats().entries() == 0);
    }

    @Test
    void anEntryLeavesRedisWhenItsFreshnessEnds() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "");
        get(pair.get(0), "/api/cacheable?id=short&cc=max-age%3D1", "a");
        await().atMost(Duration.ofSeconds(5)).until(() -> cachedResources() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.command("DBSIZE").equals(":0"));
        assertThat(get(pair.get(1), "/api/cacheable?id=short&cc=max-age%3D1", "a").headers().firstValue("x-cache"))
                .hasValue("MISS");
        assertThat(upstream.cacheableServed.get()).isEqualTo(2);
    }

    @Test
    void aCallersEntryWhoseTimeIsUpLeavesTheSharedResourceAtTheNextStore() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "");
        TestGateway replica = pair.get(0);
        String path = "/api/cacheable?id=per-caller&cc=max-age%3D1";
        replica.client().send(HttpRequest.newBuilder(replica.uri(path)).header("Authorization", "Bearer early")
                .build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> cachedResources() == 1);
        String resource = redis.reply("KEYS gw:cache:*").get(0);
        assertThat(redis.command("HLEN " + resource)).isEqualTo(":1");

        // later callers keep storing the same resource, each for a second; once the first caller's second is up,
        // a store drops its field, while the resource itself lives on
        String early = CacheKey.of("/api/", "GET", "test", path.substring("/api".length()), "Bearer early", null)
                .sharedVariant();
        assertThat(redis.command("HEXISTS " + resource + " " + early)).isEqualTo(":1");
        java.util.concurrent.atomic.AtomicInteger late = new java.util.concurrent.atomic.AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            replica.client().send(HttpRequest.newBuilder(replica.uri(path)).header("Authorization",
                    "Bearer late-" + late.incrementAndGet()).build(), HttpResponse.BodyHandlers.ofString());
            return redis.command("HEXISTS " + resource + " " + early).equals(":0");
        });
        assertThat(redis.command("EXISTS " + resource)).isEqualTo(":1");
    }

    @Test
    void aHeaderNamedByVaryIsNotHeldInClearInRedis() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "");
        TestGateway replica = pair.get(0);
        replica.client().send(HttpRequest.newBuilder(replica.uri("/api/cacheable?id=varied&vary=X-Session"))
                .header("X-Session", "session-secret-value").build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> cachedResources() == 1);
        String resource = redis.reply("KEYS gw:cache:*").get(0);

        assertThat(String.join("\n", redis.reply("HVALS " + resource))).contains("x-session")
                .doesNotContain("session-secret-value");
        HttpResponse<String> shared = pair.get(1).client().send(HttpRequest.newBuilder(
                pair.get(1).uri("/api/cacheable?id=varied&vary=X-Session")).header("X-Session",
                "session-secret-value").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(shared.headers().firstValue("x-cache")).hasValue("HIT");
    }

    @Test
    void aCallersRateLimitHoldsAcrossReplicas() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2",
                "{key: \"header:X-Client-Id\", requests: 3, per: 1m}", "");
        assertThat(get(pair.get(0), "/api/echo", "alice").statusCode()).isEqualTo(200);
        assertThat(get(pair.get(1), "/api/echo", "alice").statusCode()).isEqualTo(200);
        assertThat(get(pair.get(0), "/api/echo", "alice").statusCode()).isEqualTo(200);
        HttpResponse<String> refused = get(pair.get(1), "/api/echo", "alice");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(refused.body()).contains("rate_limited");
        assertThat(get(pair.get(0), "/api/echo", "alice").statusCode()).isEqualTo(429);
        assertThat(get(pair.get(1), "/api/echo", "bob").statusCode()).isEqualTo(200);
        // the caller's id is in Redis only as a hash
        assertThat(redis.reply("KEYS gw:rl:*")).hasSize(2).allSatisfy(key -> assertThat(key).doesNotContain("alice"));
    }

    @Test
    void anUpstreamsRateLimitHoldsAcrossReplicasAndAWaitForATokenIsSharedToo() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "",
                "rate_limit: {requests: 2, per: 2s, max_wait: 5s}");
        // on /ai/ (not cached): two tokens between both replicas; the third waits for the next (one a second)
        assertThat(get(pair.get(0), "/ai/echo", "a").statusCode()).isEqualTo(200);
        assertThat(get(pair.get(1), "/ai/echo", "b").statusCode()).isEqualTo(200);
        long started = System.nanoTime();
        assertThat(get(pair.get(0), "/ai/echo", "c").statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(500));
        assertThat(redis.reply("KEYS gw:rl:upstream:test:*")).hasSize(1);
    }

    @Test
    void anUpstreamsRateLimitRefusesAcrossReplicasWithoutAWait() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "", "rate_limit: {requests: 2, per: 1m}");
        // on /api/ past its cache (a limited route would queue for the token instead of refusing)
        assertThat(uncached(pair.get(0)).statusCode()).isEqualTo(200);
        assertThat(uncached(pair.get(1)).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = uncached(pair.get(0));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("the rate limit of upstream test is reached");
        assertThat(uncached(pair.get(1)).statusCode()).isEqualTo(429);
    }

    private static HttpResponse<String> uncached(TestGateway gateway) throws Exception {
        return gateway.client().send(HttpRequest.newBuilder(gateway.uri("/api/echo"))
                .header("Cache-Control", "no-store").timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theProviderNeverSeesMoreThanMaxConcurrentAcrossBothReplicas() throws Exception {
        upstream.aiLimit.set(2);
        List<TestGateway> pair = replicas("max_concurrent: 2, max_queue: 100, queue_timeout: 30s", "", "");
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            responses.add(send(pair.get(0), "/ai/ai?ms=60", "a"));
            responses.add(send(pair.get(1), "/ai/ai?ms=60", "b"));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(upstream.aiMaxInFlight.get()).isBetween(1, 2);
        assertThat(upstream.aiRefused.get()).isZero();
        for (TestGateway replica : pair) {
            assertThat(replica.gateway().limiterStats().get("ai").total()).isEqualTo(8);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.command("ZCARD gw:slots:ai").equals(":0"));
    }

    @Test
    void anAdaptiveCountMovedByOneReplicaIsTheCountOfBoth() throws Exception {
        upstream.aiLimit.set(2);
        List<TestGateway> pair = replicas("max_concurrent: 8, max_queue: 100, queue_timeout: 30s, "
                + "adaptive: {min: 1, max: 16}", "", "");
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            burst.add(send(pair.get(0), "/ai/ai?ms=80", "a"));
        }
        for (CompletableFuture<HttpResponse<String>> response : burst) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).as("the provider's 429s absorbed")
                    .isEqualTo(200);
        }
        assertThat(upstream.aiRefused.get()).as("the burst met the provider's limit").isPositive();
        int shared = Integer.parseInt(redis.reply("HGET gw:slots-limit:ai limit").get(0));
        assertThat(shared).as("halved from 8 by replica 0").isLessThan(8);

        assertThat(get(pair.get(1), "/ai/ai?ms=10", "b").statusCode()).isEqualTo(200);
        JsonNode other = performance(pair.get(1)).path("limiters").path("ai");
        assertThat(other.path("max_concurrent").asInt()).as("replica 1 holds to the shared count").isEqualTo(shared);
        assertThat(other.path("adaptive").path("last_change").path("reason").asText())
                .isEqualTo("another replica moved the shared count");
    }

    @Test
    void aSlotHeldLongerThanItsLeaseIsRenewedSoNobodyElseGetsIt() throws Exception {
        upstream.aiLimit.set(5);
        List<TestGateway> pair = replicas("max_concurrent: 1, max_queue: 10, queue_timeout: 30s", "",
                ", slot_lease: 600ms");
        CompletableFuture<HttpResponse<String>> first = send(pair.get(0), "/ai/ai?ms=1500", "a");
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.aiInFlight.get() == 1);
        CompletableFuture<HttpResponse<String>> second = send(pair.get(1), "/ai/ai?ms=10", "b");
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // held for 1.5 s with a 600 ms lease: without renewal the second would have gone in alongside
        assertThat(upstream.aiMaxInFlight.get()).isEqualTo(1);
    }

    @Test
    void theSlotsOfADeadReplicaComeBackWhenTheirLeasesExpire() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 1, max_queue: 10, queue_timeout: 30s", "", "");
        // a replica that took the only slot and died: its lease is never renewed
        long expires = Long.parseLong(redis.reply("TIME").get(0)) * 1000 + 1500;
        assertThat(redis.command("ZADD gw:slots:ai " + expires + " dead-replica:1")).isEqualTo(":1");
        CompletableFuture<HttpResponse<String>> waiting = send(pair.get(0), "/ai/ai?ms=10", "a");
        await().atMost(Duration.ofSeconds(5)).until(() -> pair.get(0).gateway().limiterStats().get("ai").queued() == 1);
        assertThat(waiting.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(redis.reply("ZRANGE gw:slots:ai 0 -1")).doesNotContain("dead-replica:1");
    }

    @Test
    void aHungRedisCostsOneTimeoutNotOnePerRequest() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2, max_queue: 50, queue_timeout: 30s",
                "{key: \"header:X-Client-Id\", requests: 100, per: 1m}", "");
        redis.pause();
        try {
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                TestGateway replica = pair.get(i % 2);
                assertThat(get(replica, "/ai/ai?ms=1", "h" + i).statusCode()).isEqualTo(200);
                assertThat(get(replica, "/api/cacheable?id=hung" + i, "h" + i).statusCode()).isEqualTo(200);
            }
            // 40 requests, each touching Redis two or three times: waiting out the 500 ms timeout every time would
            // take 40 s or more; leaving a hung Redis alone after a timeout keeps it to a few timeouts a second
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
            for (TestGateway replica : pair) {
                assertThat(replica.gateway().redisStats().errors()).isPositive();
                assertThat(replica.gateway().redisStats().fallbacks()).isPositive();
            }
        } finally {
            redis.resume();
        }
        for (TestGateway replica : pair) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.gateway().redisStats().up());
        }
        get(pair.get(0), "/api/cacheable?id=resumed", "r");
        String key = "gw:cache:" + CacheKey.of("/api/", "GET", "test", "/cacheable?id=resumed", null, null)
                .resource().sharedName();
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.command("EXISTS " + key).equals(":1"));
        assertThat(get(pair.get(1), "/api/cacheable?id=resumed", "r").headers().firstValue("x-cache"))
                .hasValue("HIT");
    }

    @Test
    void anUnsafeRequestThroughOneReplicaRemovesTheSharedCopyAndTheOtherReplicasOwn() throws Exception {
        List<TestGateway> pair = replicas("max_concurrent: 2", "", "");
        HttpResponse<String> before = get(pair.get(0), "/api/cacheable?id=changing", "a");
        await().atMost(Duration.ofSeconds(5)).until(() -> cachedResources() == 1);
        assertThat(get(pair.get(1), "/api/cacheable?id=changing", "a").headers().firstValue("x-cache"))
                .hasValue("HIT");   // now in the second replica's memory too
        assertThat(pair.get(1).gateway().cache().stats().entries()).isEqualTo(1);

        HttpResponse<String> changed = pair.get(0).client().send(HttpRequest.newBuilder(
                pair.get(0).uri("/api/cacheable?id=changing")).POST(HttpRequest.BodyPublishers.ofString("new"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(changed.statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(5)).until(() -> redis.command("DBSIZE").equals(":0"));
        await().atMost(Duration.ofSeconds(5)).until(() -> pair.get(1).gateway().cache().stats().entries() == 0);
        HttpResponse<String> refilled = get(pair.get(1), "/api/cacheable?id=changing", "a");
        assertThat(refilled.headers().firstValue("x-cache")).hasValue("MISS");
        assertThat(refilled.body()).isNotEqualTo(before.body());
    }

    @Test
    void aReplicaStartsWithoutRedisServesAloneAndSharesOnceRedisComesUp() throws Exception {
        redis.kill();
        startReplicas("max_concurrent: 2", "{key: \"header:X-Client-Id\", requests: 100, per: 1m}", "", "");
        for (TestGateway replica : replicas) {
            assertThat(get(replica, "/ai/ai?ms=10", "a").statusCode()).isEqualTo(200);
            assertThat(get(replica, "/api/cacheable?id=alone", "a").headers().firstValue("x-cache")).hasValue("MISS");
            assertThat(performance(replica).path("redis").path("up").asBoolean()).isFalse();
        }
        redis.startAgain();
        for (TestGateway replica : replicas) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.gateway().redisStats().up());
        }
        get(replicas.get(0), "/api/cacheable?id=joined", "a");
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.reply("KEYS gw:cache:*").size() == 1);
        assertThat(get(replicas.get(1), "/api/cacheable?id=joined", "a").headers().firstValue("x-cache"))
                .hasValue("HIT");
    }

    @Test
    void whenRedisDiesBothReplicasKeepServingAndShareAgainWhenItReturns() throws Exception {
        upstream.aiLimit.set(10);
        List<TestGateway> pair = replicas("max_concurrent: 4, max_queue: 100, queue_timeout: 30s",
                "{key: \"header:X-Client-Id\", requests: 100, per: 1m}", "");
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inFlight.add(send(pair.get(i % 2), "/ai/ai?ms=300", "c" + i));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.aiInFlight.get() > 0);
        redis.kill();
        for (int i = 0; i < 6; i++) {
            inFlight.add(send(pair.get(i % 2), "/ai/ai?ms=20", "d" + i));
            inFlight.add(send(pair.get(i % 2), "/api/cacheable?id=down" + i, "d" + i));
            inFlight.add(send(pair.get(i % 2), "/api/echo", "d" + i));
        }
        for (CompletableFuture<HttpResponse<String>> response : inFlight) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        for (TestGateway replica : pair) {
            JsonNode report = performance(replica).path("redis");
            assertThat(report.path("configured").asBoolean()).isTrue();
            assertThat(report.path("up").asBoolean()).isFalse();
            assertThat(report.path("fallbacks").asLong()).isPositive();
            assertThat(replica.gateway().limiterStats().get("ai").active()).isZero();
        }
        String metrics = pair.get(0).get("/metrics").body();
        assertThat(metrics).contains("gateway_redis_up 0.0");
        StringWriter status = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(status, true));
        assertThat(cli.execute("status", "--url", "http://127.0.0.1:" + pair.get(1).port())).isEqualTo(1);
        assertThat(status.toString()).containsPattern("Redis +DOWN +up +WARNING").contains("redis: DOWN");

        redis.startAgain();
        for (TestGateway replica : pair) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.gateway().redisStats().up());
        }
        get(pair.get(0), "/api/cacheable?id=after", "e");
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.reply("KEYS gw:cache:*").size() == 1);
        assertThat(get(pair.get(1), "/api/cacheable?id=after", "e").headers().firstValue("x-cache")).hasValue("HIT");
    }
}
