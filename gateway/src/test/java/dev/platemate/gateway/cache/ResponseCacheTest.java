package dev.platemate.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The response cache end to end, over real sockets, against a test upstream that counts what it serves. */
class ResponseCacheTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private TestGateway cached(String routeCache, String cache) throws Exception {
        return fixture.restart(TestGateway.withCache(TestGateway.config(fixture.upstream().url()), routeCache, cache));
    }

    private TestGateway cached() throws Exception {
        return cached("ttl: 10m", "max_size: 4MiB, max_entry_size: 64KiB");
    }

    private static String cc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(TestGateway gateway, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return gateway.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String xCache(HttpResponse<String> response) {
        return response.headers().firstValue("x-cache").orElse("none");
    }

    private static int servedNumber(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).get("n").asInt();
    }

    @Test
    void aMissIsStoredAndTheNextRequestIsAHitWithAge() throws Exception {
        TestGateway gateway = cached();
        HttpResponse<String> miss = get(gateway, "/api/cacheable?cc=" + cc("max-age=60"));
        HttpResponse<String> hit = get(gateway, "/api/cacheable?cc=" + cc("max-age=60"));

        assertThat(xCache(miss)).isEqualTo("MISS");
        assertThat(xCache(hit)).isEqualTo("HIT");
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(hit.headers().firstValue("age")).isPresent();
        assertThat(hit.headers().firstValue("cache-control")).hasValue("max-age=60");
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
        assertThat(gateway.gateway().cache().stats().hits()).isEqualTo(1);
    }

    @Test
    void theRouteTtlAppliesWhenTheUpstreamGivesNoFreshness() throws Exception {
        TestGateway gateway = cached();
        get(gateway, "/api/cacheable");
        assertThat(xCache(get(gateway, "/api/cacheable"))).isEqualTo("HIT");
    }

    @Test
    void callersAreKeptApart() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?cc=" + cc("max-age=60");
        HttpResponse<String> alice = get(gateway, path, "Authorization", "Bearer alice");
        HttpResponse<String> bob = get(gateway, path, "Authorization", "Bearer bob");
        HttpResponse<String> anonymous = get(gateway, path);
        HttpResponse<String> aliceAgain = get(gateway, path, "Authorization", "Bearer alice");

        assertThat(List.of(xCache(alice), xCache(bob), xCache(anonymous), xCache(aliceAgain)))
                .containsExactly("MISS", "MISS", "MISS", "HIT");
        assertThat(servedNumber(bob)).isNotEqualTo(servedNumber(alice));
        assertThat(aliceAgain.body()).isEqualTo(alice.body());
    }

    @Test
    void responsesThatMustNotBeStoredAreNot() throws Exception {
        TestGateway gateway = cached();
        for (String query : List.of("cc=" + cc("no-store"), "cc=" + cc("private, max-age=60"),
                "cc=" + cc("max-age=60") + "&cookie=1", "cc=" + cc("max-age=60") + "&vary=*",
                "cc=" + cc("max-age=60") + "&status=500", "cc=" + cc("max-age=0"))) {
            int before = fixture.upstream().cacheableServed.get();
            get(gateway, "/api/cacheable?" + query);
            HttpResponse<String> second = get(gateway, "/api/cacheable?" + query);
            assertThat(xCache(second)).as(query).isEqualTo("MISS");
            assertThat(fixture.upstream().cacheableServed.get()).as(query).isEqualTo(before + 2);
        }
        assertThat(gateway.gateway().cache().stats().entries()).isZero();
    }

    @Test
    void requestsAskingForFreshContentBypassTheCache() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?cc=" + cc("max-age=60");
        get(gateway, path);
        HttpResponse<String> bypass = get(gateway, path, "Cache-Control", "no-cache");
        assertThat(xCache(bypass)).isEqualTo("BYPASS");
        assertThat(servedNumber(bypass)).isEqualTo(2);
    }

    @Test
    void aGetWithABodyIsNeitherServedFromTheCacheNorStored() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?cc=" + cc("max-age=60");
        get(gateway, path);
        HttpResponse<String> withBody = gateway.client().send(java.net.http.HttpRequest.newBuilder(gateway.uri(path))
                .method("GET", java.net.http.HttpRequest.BodyPublishers.ofString("{\"q\":\"apple\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(xCache(withBody)).isEqualTo("BYPASS");
        assertThat(servedNumber(withBody)).isEqualTo(2);
        assertThat(xCache(get(gateway, path))).as("the entry is the bodiless GET's").isEqualTo("HIT");
    }

    @Test
    void headIsServedFromTheGetEntry() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?size=300&cc=" + cc("max-age=60");
        get(gateway, path);
        HttpResponse<String> head = gateway.client().send(HttpRequest.newBuilder(gateway.uri(path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(xCache(head)).isEqualTo("HIT");
        assertThat(head.headers().firstValue("content-length")).hasValue("300");
        assertThat(head.body()).isEmpty();
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aHitIsOneWellFramedResponseOnTheWire() throws Exception {
        TestGateway gateway = cached();
        String request = "GET /api/cacheable?size=200&cc=" + cc("max-age=60") + " HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawClient client = new RawClient(gateway.port())) {
            client.send(request);
            String miss = client.readHead();
            String missBody = client.readBytes(200);
            for (int i = 0; i < 2; i++) { // two hits in a row on the same connection: each framed exactly
                client.send(request);
                String hit = client.readHead();
                assertThat(hit).startsWith("HTTP/1.1 200 OK\r\n").contains("x-cache: HIT\r\n")
                        .containsPattern("\r\nage: \\d+\r\n").contains("content-type: application/json\r\n");
                assertThat(hit.split("\r\n")).filteredOn(line -> line.toLowerCase().startsWith("content-length:"))
                        .containsExactly("content-length: 200");
                assertThat(client.readBytes(200)).isEqualTo(missBody);
            }
            assertThat(miss).contains("x-cache: MISS");
        }
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aHitToAClientThatClosesSaysSoAndCloses() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?size=200&cc=" + cc("max-age=60");
        assertThat(xCache(get(gateway, path))).isEqualTo("MISS");
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String answer = client.readToEnd();   // returns only once the gateway has closed the connection
            assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("x-cache: HIT\r\n")
                    .contains("\r\nconnection: close\r\n").contains("content-length: 200\r\n");
            assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).hasSize(200);
        }
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void anEntryOverMaxEntrySizeStreamsThroughUncached() throws Exception {
        TestGateway gateway = cached("ttl: 10m", "max_size: 4MiB, max_entry_size: 1KiB");
        String path = "/api/cacheable?size=5000&cc=" + cc("max-age=60");
        HttpResponse<String> first = get(gateway, path);
        HttpResponse<String> second = get(gateway, path);
        assertThat(first.body()).hasSize(5000);
        assertThat(xCache(second)).isEqualTo("MISS");
        assertThat(servedNumber(second)).isEqualTo(2);
    }

    @Test
    void fillingWithTenTimesMaxSizeKeepsTheByteBound() throws Exception {
        TestGateway gateway = cached("ttl: 10m", "max_size: 64KiB, max_entry_size: 16KiB");
        for (int i = 0; i < 64; i++) {
            assertThat(get(gateway, "/api/cacheable?size=10000&i=" + i).statusCode()).isEqualTo(200);
        }
        CacheStats stats = gateway.gateway().cache().stats();
        assertThat(stats.bytes()).isLessThanOrEqualTo(64 * 1024);
        assertThat(stats.evictions()).isPositive();
        assertThat(stats.entries()).isBetween(1L, 7L);
    }

    @Test
    void concurrentIdenticalMissesMakeOneUpstreamRequest() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?ms=300&cc=" + cc("max-age=60");
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            responses.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        String body = null;
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            HttpResponse<String> answer = response.get(20, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            body = body == null ? answer.body() : body;
            assertThat(answer.body()).isEqualTo(body);
        }
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void postIsCachedOnlyWhenListedAndKeyedByBody() throws Exception {
        TestGateway gateway = cached("ttl: 10m, methods: [GET, POST]", "max_size: 4MiB");
        String path = "/api/cacheable?cc=" + cc("max-age=60");
        HttpResponse<String> a1 = gateway.post(path, "{\"q\":\"apple\"}");
        HttpResponse<String> a2 = gateway.post(path, "{\"q\":\"apple\"}");
        HttpResponse<String> b = gateway.post(path, "{\"q\":\"banana\"}");

        assertThat(List.of(xCache(a1), xCache(a2), xCache(b))).containsExactly("MISS", "HIT", "MISS");
        assertThat(a2.body()).isEqualTo(a1.body());
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(2);

        TestGateway getOnly = cached();
        getOnly.post(path, "{\"q\":\"apple\"}");
        assertThat(xCache(getOnly.post(path, "{\"q\":\"apple\"}"))).isEqualTo("BYPASS");
    }

    @Test
    void varyHeadersSelectTheVariant() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?vary=Accept-Language&cc=" + cc("max-age=60");
        assertThat(xCache(get(gateway, path, "Accept-Language", "en"))).isEqualTo("MISS");
        assertThat(xCache(get(gateway, path, "Accept-Language", "en"))).isEqualTo("HIT");
        assertThat(xCache(get(gateway, path, "Accept-Language", "fr"))).isEqualTo("MISS");
    }

    @Test
    void staleWhileRevalidateServesStaleAndRefreshesInTheBackground() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?cc=" + cc("max-age=1, stale-while-revalidate=30");
        assertThat(servedNumber(get(gateway, path))).isEqualTo(1);

        await().atMost(Duration.ofSeconds(10)).until(() -> xCache(get(gateway, path)).equals("STALE"));
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream().cacheableServed.get() == 2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> refreshed = get(gateway, path);
            assertThat(xCache(refreshed)).isEqualTo("HIT");
            assertThat(servedNumber(refreshed)).isEqualTo(2);
        });
    }

    @Test
    void staleIfErrorServesTheOldEntryWhenTheUpstreamFails() throws Exception {
        TestGateway gateway = cached();
        String path = "/api/cacheable?cc=" + cc("max-age=1, stale-if-error=60");
        get(gateway, path);
        fixture.upstream().cacheableFailing.set(true);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> answer = get(gateway, path);
            assertThat(xCache(answer)).isEqualTo("STALE");
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(servedNumber(answer)).isEqualTo(1);
        });
    }

    @Test
    void theFillCompletesEvenWhenItsClientLeaves() throws Exception {
        TestGateway gateway = cached();
        try (RawClient client = new RawClient(gateway.port())) {
            client.send("GET /api/cacheable?ms=300&cc=" + cc("max-age=60") + " HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> fixture.upstream().cacheableServed.get() == 1);
            client.abort();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.gateway().cache().stats().entries() == 1);
        assertThat(xCache(get(gateway, "/api/cacheable?ms=300&cc=" + cc("max-age=60")))).isEqualTo("HIT");
    }

    @Test
    void aResponseCutMidBodyIsNeverStored() throws Exception {
        TestGateway gateway = cached();
        for (String path : List.of("/api/reset", "/api/drip")) {
            try (RawClient client = new RawClient(gateway.port())) {
                client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                String answer = client.readToEnd();
                assertThat(answer).as(path).startsWith("HTTP/1.1 502"); // held, so the client gets a clean error
            }
        }
        assertThat(gateway.gateway().cache().stats().entries()).isZero();
    }

    @Test
    void purgeEmptiesTheCacheOrOneRoute() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withCache(TestGateway.config(fixture.upstream().url()),
                "ttl: 10m", "max_size: 4MiB").replace("server:\n",
                "admin: {token: s3cret}\nserver:\n"));
        get(gateway, "/api/cacheable?a=1");
        get(gateway, "/api/cacheable?a=2");
        HttpRequest.Builder purge = HttpRequest.newBuilder(gateway.uri("/admin/cache?prefix=/other/")).DELETE();

        assertThat(gateway.client().send(purge.build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(401);
        HttpResponse<String> other = gateway.client().send(purge.header("Authorization", "Bearer s3cret").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(other.body()).get("purged").asInt()).isZero();
        HttpResponse<String> route = gateway.client().send(HttpRequest.newBuilder(
                gateway.uri("/admin/cache?prefix=/api/")).DELETE().header("Authorization", "Bearer s3cret").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(route.body()).get("purged").asInt()).isEqualTo(2);
        assertThat(xCache(get(gateway, "/api/cacheable?a=1"))).isEqualTo("MISS");
        HttpResponse<String> all = gateway.client().send(HttpRequest.newBuilder(gateway.uri("/admin/cache")).DELETE()
                .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(all.body()).get("purged").asInt()).isEqualTo(1);
        assertThat(gateway.gateway().cache().stats().entries()).isZero();
    }

    @Test
    void statsShowInThePerformanceReport() throws Exception {
        TestGateway gateway = cached();
        get(gateway, "/api/cacheable");
        get(gateway, "/api/cacheable");
        JsonNode report = JSON.readTree(gateway.get("/health/performance").body());
        assertThat(report.get("cache").get("entries").asInt()).isEqualTo(1);
        assertThat(report.get("cache").get("hits").asInt()).isEqualTo(1);
        assertThat(report.get("cache").get("misses").asInt()).isEqualTo(1);
        assertThat(report.get("cache").get("hit_ratio").asDouble()).isEqualTo(0.5);
        assertThat(report.get("cache").get("bytes").asInt()).isPositive();
        assertThat(report.get("connection_pool").get("cached_responses").asInt()).isEqualTo(1);
    }

    @Test
    void uncachedRoutesAreUntouched() throws Exception {
        TestGateway gateway = fixture.gateway();
        HttpResponse<String> response = get(gateway, "/api/cacheable?cc=" + cc("max-age=60"));
        assertThat(response.headers().firstValue("x-cache")).isEmpty();
        get(gateway, "/api/cacheable?cc=" + cc("max-age=60"));
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(2);
        assertThat(gateway.gateway().cache().stats().entries()).isZero();
    }
}
