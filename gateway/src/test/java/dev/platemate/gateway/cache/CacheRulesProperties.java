package dev.platemate.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.wire.WireNumbers;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

/** The parsers and rules of the shared cache, on generated and on hostile values, without sockets. */
class CacheRulesProperties {

    private static final RouteCacheConfig ROUTE = new RouteCacheConfig(Duration.ofMinutes(10), List.of("GET"),
            Duration.ofSeconds(30), Duration.ofSeconds(60));

    @Property
    void anyAgeValueIsReadWithoutFailingAndClamped(@ForAll @StringLength(max = 40) String value) {
        assertThat(CachePolicy.age(value)).isBetween(0L, WireNumbers.MAX_DELTA_SECONDS);
    }

    @Property
    void anAgeIsItsLeadingDigitsWhateverFollows(@ForAll @LongRange(max = 1L << 40) long seconds,
                                               @ForAll("suffixes") String suffix) {
        assertThat(CachePolicy.age(seconds + suffix)).isEqualTo(Math.min(seconds, WireNumbers.MAX_DELTA_SECONDS));
    }

    @Provide
    Arbitrary<String> suffixes() {
        return Arbitraries.of("", ".0", ";foo=bar", ";foo=111", ", 0", ",7200", " ");
    }

    @Example
    void anAgeWithASignMakesItStaleAndOneWithoutDigitsIsIgnored() {
        assertThat(CachePolicy.age("-7200")).isEqualTo(WireNumbers.MAX_DELTA_SECONDS);
        assertThat(CachePolicy.age("abc")).isZero();
        assertThat(CachePolicy.age(null)).isZero();
        assertThat(CachePolicy.freshness(response("cache-control", "max-age=3600", "age", "-7200"), ROUTE,
                ZonedDateTime.now())).isNull();
    }

    @Example
    void mustRevalidateAndItsKinForbidServingStale() {
        for (String cc : List.of("max-age=60, must-revalidate", "max-age=60, proxy-revalidate", "s-maxage=60")) {
            CachePolicy.Freshness freshness = CachePolicy.freshness(response("cache-control", cc), ROUTE,
                    ZonedDateTime.now());
            assertThat(freshness.ttl()).as(cc).isEqualTo(Duration.ofSeconds(60));
            assertThat(freshness.staleWhileRevalidate()).as(cc).isZero();
            assertThat(freshness.staleIfError()).as(cc).isZero();
        }
        CachePolicy.Freshness lenient = CachePolicy.freshness(response("cache-control", "max-age=60"), ROUTE,
                ZonedDateTime.now());
        assertThat(lenient.staleIfError()).isEqualTo(Duration.ofSeconds(60));
    }

    @Example
    void noCacheIsStoredStaleOnlyWithAValidator() {
        assertThat(CachePolicy.freshness(response("cache-control", "no-cache"), ROUTE, ZonedDateTime.now())).isNull();
        CachePolicy.Freshness withTag = CachePolicy.freshness(response("cache-control", "no-cache", "etag", "\"a\""),
                ROUTE, ZonedDateTime.now());
        assertThat(withTag.ttl()).isZero();
    }

    @Example
    void surrogateControlMeantForThisGatewayDecides() {
        String mine = "max-age=5;" + SurrogateControl.DEVICE;
        assertThat(CachePolicy.freshness(response("cache-control", "no-store", "surrogate-control", mine), ROUTE,
                ZonedDateTime.now()).ttl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(CachePolicy.freshness(response("cache-control", "max-age=3600", "surrogate-control", "max-age=1"),
                ROUTE, ZonedDateTime.now()).ttl()).isEqualTo(Duration.ofSeconds(1));
        assertThat(CachePolicy.freshness(response("cache-control", "max-age=3600", "surrogate-control",
                "max-age=1;someone-else"), ROUTE, ZonedDateTime.now()).ttl()).isEqualTo(Duration.ofSeconds(3600));
        assertThat(CachePolicy.freshness(response("cache-control", "max-age=3600", "surrogate-control", "no-store"),
                ROUTE, ZonedDateTime.now())).isNull();
        assertThat(SurrogateControl.forThisGateway(List.of("max-age=30+60, content=\"ESI/1.0\"")))
                .containsEntry("max-age", "30+60");
        assertThat(SurrogateControl.maxAge("30+60")).isEqualTo("30");
    }

    @Property
    void anyRangeHeaderIsOneRangeInsideTheBodyOrNone(@ForAll @StringLength(max = 30) String header,
                                                     @ForAll @LongRange(max = 1000) long length) {
        ByteRange range = ByteRange.of(header, length);
        if (range != null) {
            assertThat(range.first()).isBetween(0L, length - 1);
            assertThat(range.last()).isBetween(range.first(), length - 1);
        }
    }

    @Example
    void rangesAreReadAsTheRfcSays() {
        assertThat(ByteRange.of("bytes=0-9", 100)).isEqualTo(new ByteRange(0, 9));
        assertThat(ByteRange.of("bytes=90-", 100)).isEqualTo(new ByteRange(90, 99));
        assertThat(ByteRange.of("bytes=90-200", 100)).isEqualTo(new ByteRange(90, 99));
        assertThat(ByteRange.of("bytes=-10", 100)).isEqualTo(new ByteRange(90, 99));
        assertThat(ByteRange.of("bytes=-1000", 100)).isEqualTo(new ByteRange(0, 99));
        assertThat(ByteRange.of("BYTES=1-1", 100)).isEqualTo(new ByteRange(1, 1));
        for (String none : List.of("bytes=100-", "bytes=5-4", "bytes=-0", "bytes=0-1,3-4", "items=0-1", "bytes=x-1",
                "bytes=-", "bytes=99999999999999999999-")) {
            assertThat(ByteRange.of(none, 100)).as(none).isNull();
        }
    }

    @Property
    void anyLocationIsResolvedOrLeftOutWithoutFailing(@ForAll @StringLength(max = 60) String location) {
        HttpHeaders response = new DefaultHttpHeaders(false).set("location", location);
        List<String> targets = Invalidation.targets(URI.create("http://10.0.0.1:8080/"), "/items?page=1", response);
        assertThat(targets).first().isEqualTo("/items?page=1");
        assertThat(targets).allSatisfy(target -> assertThat(target).startsWith("/"));
    }

    @Example
    void onlyTheSameUpstreamIsInvalidated() {
        URI origin = URI.create("http://10.0.0.1:8080/");
        assertThat(Invalidation.targets(origin, "/a/b", headers("location", "c?x=1")))
                .containsExactly("/a/b", "/a/c?x=1");
        assertThat(Invalidation.targets(origin, "/a/b", headers("content-location", "http://10.0.0.1:8080/d")))
                .containsExactly("/a/b", "/d");
        assertThat(Invalidation.targets(origin, "/a/b", headers("location", "http://10.0.0.1:9090/d")))
                .containsExactly("/a/b");
        assertThat(Invalidation.targets(origin, "/a/b", headers("location", "//evil.example/d")))
                .containsExactly("/a/b");
        assertThat(Invalidation.targets(URI.create("https://api.example/"), "/a", headers("location",
                "https://API.example:443/b"))).containsExactly("/a", "/b");
    }

    @Example
    void a304FreshensWhatItCarriesButNeverTheFramingTheBodyOrItsValidator() {
        List<Map.Entry<String, String>> stored = List.of(Map.entry("Content-Type", "text/plain"),
                Map.entry("ETag", "\"a\""), Map.entry("Content-Encoding", "gzip"), Map.entry("X-Kept", "1"),
                Map.entry("Cache-Control", "max-age=1"));
        HttpHeaders notModified = headers("etag", "\"b\"", "content-encoding", "br", "content-length", "0",
                "cache-control", "max-age=3600", "content-type", "text/plain;charset=utf-8", "x-new", "2");
        assertThat(Revalidation.freshened(stored, notModified, Set.of("content-length")))
                .containsExactly(Map.entry("ETag", "\"a\""), Map.entry("Content-Encoding", "gzip"),
                        Map.entry("X-Kept", "1"), Map.entry("cache-control", "max-age=3600"),
                        Map.entry("content-type", "text/plain;charset=utf-8"), Map.entry("x-new", "2"));
    }

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    private static HttpResponse response(String... namesAndValues) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(headers(namesAndValues));
        return response;
    }
}
