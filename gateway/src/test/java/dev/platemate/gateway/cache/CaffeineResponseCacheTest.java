package dev.platemate.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.CacheConfig;
import dev.platemate.gateway.config.DataSize;
import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-memory tier and the caching rules, without sockets; time is a fake ticker. */
class CaffeineResponseCacheTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final ResponseCache cache = ResponseCaches.inMemory(
            new CacheConfig(DataSize.ofKibibytes(64), DataSize.ofKibibytes(16), Duration.ofSeconds(30)), now::get);
    private final HttpHeaders noHeaders = new DefaultHttpHeaders();

    private CachedResponse entry(int bodyBytes, Duration fresh, Duration staleWhileRevalidate, Duration staleIfError) {
        long t = now.get();
        long freshUntil = t + fresh.toNanos();
        return new CachedResponse(200, List.of(), new byte[bodyBytes], t, 0, freshUntil,
                freshUntil + staleWhileRevalidate.toNanos(), freshUntil + staleIfError.toNanos(), CachedResponse.NOT_KEPT, List.of(),
                List.of());
    }

    private static CacheKey key(String target) {
        return CacheKey.of("/api/", "GET", "test", target, null, null);
    }

    @Test
    void theSweepRemovesExpiredEntriesThatNobodyReads() {
        for (int i = 0; i < 5; i++) {
            cache.store(key("/a" + i), entry(100, Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO));
        }
        cache.store(key("/long"), entry(100, Duration.ofHours(1), Duration.ZERO, Duration.ZERO));
        assertThat(cache.stats().entries()).isEqualTo(6);

        now.addAndGet(Duration.ofSeconds(2).toNanos());
        cache.sweep();

        assertThat(cache.stats().entries()).isEqualTo(1);
        assertThat(cache.stats().bytes()).isLessThan(1024);
    }

    @Test
    void lookupsGoFreshThenStaleThenStaleIfErrorOnly() {
        cache.store(key("/x"), entry(10, Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(60)));
        assertThat(cache.lookup(key("/x"), noHeaders).state()).isEqualTo(ResponseCache.State.FRESH);
        now.addAndGet(Duration.ofSeconds(15).toNanos());
        assertThat(cache.lookup(key("/x"), noHeaders).state()).isEqualTo(ResponseCache.State.STALE);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(cache.lookup(key("/x"), noHeaders).state()).isEqualTo(ResponseCache.State.STALE_IF_ERROR);
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(cache.lookup(key("/x"), noHeaders).state()).isEqualTo(ResponseCache.State.MISS);
    }

    @Test
    void memoryIsBoundedInBytes() {
        for (int i = 0; i < 64; i++) { // ten times max_size
            cache.store(key("/big" + i), entry(10_000, Duration.ofHours(1), Duration.ZERO, Duration.ZERO));
        }
        cache.sweep();
        assertThat(cache.stats().bytes()).isLessThanOrEqualTo(64 * 1024);
        assertThat(cache.stats().evictions()).isPositive();
    }

    @Test
    void purgeByRoute() {
        cache.store(CacheKey.of("/a/", "GET", "u", "/1", null, null), entry(10, Duration.ofHours(1), Duration.ZERO,
                Duration.ZERO));
        cache.store(CacheKey.of("/b/", "GET", "u", "/1", null, null), entry(10, Duration.ofHours(1), Duration.ZERO,
                Duration.ZERO));
        assertThat(cache.purge(Optional.of("/a/"))).isEqualTo(1);
        assertThat(cache.stats().entries()).isEqualTo(1);
        assertThat(cache.purge(Optional.empty())).isEqualTo(1);
    }

    @Test
    void keysHoldNoSecretInClear() {
        CacheKey key = CacheKey.of("/a/", "GET", "u", "/1", "Bearer sk-secret", "body".getBytes());
        assertThat(key.toString()).doesNotContain("sk-secret");
        assertThat(key.callerHash()).doesNotContain("sk-secret").hasSize(64);
        assertThat(key).isNotEqualTo(CacheKey.of("/a/", "GET", "u", "/1", "Bearer other", "body".getBytes()));
    }

    private static HttpResponse response(int status, String... headers) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            response.headers().add(headers[i], headers[i + 1]);
        }
        return response;
    }

    @Test
    void freshnessComesFromSMaxAgeThenMaxAgeThenExpiresThenTheRoute() {
        RouteCacheConfig route = new RouteCacheConfig(Duration.ofMinutes(10), List.of("GET"), Duration.ofSeconds(5),
                Duration.ZERO);
        ZonedDateTime date = ZonedDateTime.parse("Sun, 29 Nov 2026 12:00:00 GMT", DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(CachePolicy.freshness(response(200, "cache-control", "max-age=60, s-maxage=30"), route, date).ttl())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(CachePolicy.freshness(response(200, "cache-control", "max-age=60"), route, date).ttl())
                .isEqualTo(Duration.ofSeconds(60));
        assertThat(CachePolicy.freshness(response(200, "date", "Sun, 29 Nov 2026 12:00:00 GMT",
                "expires", "Sun, 29 Nov 2026 12:02:00 GMT"), route, date).ttl()).isEqualTo(Duration.ofMinutes(2));
        CachePolicy.Freshness byRoute = CachePolicy.freshness(response(404), route, date);
        assertThat(byRoute.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(byRoute.staleWhileRevalidate()).isEqualTo(Duration.ofSeconds(5));
        assertThat(CachePolicy.freshness(response(200, "cache-control", "max-age=60", "age", "20"), route, date).ttl())
                .isEqualTo(Duration.ofSeconds(40));
        assertThat(CachePolicy.freshness(response(200, "cache-control", "max-age=60, stale-if-error=300"), route,
                date).staleIfError()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void neverStoredCases() {
        RouteCacheConfig route = new RouteCacheConfig(Duration.ofMinutes(10), List.of("GET"), Duration.ZERO,
                Duration.ZERO);
        ZonedDateTime now = ZonedDateTime.now();
        assertThat(CachePolicy.freshness(response(200, "cache-control", "no-store"), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(200, "cache-control", "private"), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(200, "set-cookie", "a=b"), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(200, "vary", "*"), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(500), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(206), route, now)).isNull();
        assertThat(CachePolicy.freshness(response(200, "cache-control", "max-age=0"), route, now)).isNull();
        for (int status : new int[] {200, 203, 204, 300, 301, 404, 410}) {
            assertThat(CachePolicy.freshness(response(status), route, now)).as("status " + status).isNotNull();
        }
    }

    @Test
    void requestsThatBypass() {
        HttpHeaders headers = new DefaultHttpHeaders();
        assertThat(CachePolicy.bypasses(headers)).isFalse();
        assertThat(CachePolicy.bypasses(headers.set("cache-control", "max-age=0, no-cache"))).isTrue();
        assertThat(CachePolicy.bypasses(new DefaultHttpHeaders().set("cache-control", "no-store"))).isTrue();
        assertThat(CachePolicy.bypasses(new DefaultHttpHeaders().set("pragma", "no-cache"))).isTrue();
    }
}
