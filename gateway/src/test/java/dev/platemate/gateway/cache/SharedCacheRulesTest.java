package dev.platemate.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cache as an RFC 9111 shared cache, end to end over real sockets: revalidation with the upstream's
 * validators, 304s that freshen, the client's own conditionals answered from the cache, invalidation by unsafe
 * requests, and {@code ttl: 0s}.
 */
class SharedCacheRulesTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private TestGateway cached(String routeCache) throws Exception {
        return fixture.restart(TestGateway.withCache(TestGateway.config(fixture.upstream().url()), routeCache,
                "max_size: 4MiB, max_entry_size: 64KiB"));
    }

    private static String path(String cacheControl, String more) {
        return "/api/cacheable?cc=" + URLEncoder.encode(cacheControl, StandardCharsets.UTF_8) + more;
    }

    private static HttpResponse<String> send(TestGateway gateway, String method, String path, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(20))
                .method(method, method.equals("GET") || method.equals("HEAD") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("changed"));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return gateway.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(TestGateway gateway, String path, String... headers) throws Exception {
        return send(gateway, "GET", path, headers);
    }

    private static String xCache(HttpResponse<String> response) {
        return response.headers().firstValue("x-cache").orElse("none");
    }

    /** The next request the upstream saw for /cacheable. */
    private TestUpstream.Recorded nextCacheableRequest() throws InterruptedException {
        while (true) {
            TestUpstream.Recorded seen = fixture.upstream().requests.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(seen).as("a request reached the upstream").isNotNull();
            if (seen.uri().startsWith("/cacheable")) {
                return seen;
            }
        }
    }

    @Test
    void aStaleEntryIsRevalidatedWithItsETagAndA304FreshensItsHeaders() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=0", "&etag=v1");
        HttpResponse<String> first = get(gateway, path);
        assertThat(nextCacheableRequest().headers()).doesNotContainKey("if-none-match");

        HttpResponse<String> second = get(gateway, path);
        TestUpstream.Recorded conditional = nextCacheableRequest();

        assertThat(conditional.headers()).containsEntry("if-none-match", "\"v1\"");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(xCache(second)).isEqualTo("REVALIDATED");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("etag")).hasValue("\"v1\"");
        assertThat(second.headers().firstValue("x-served")).as("freshened by the 304").hasValue("2");
        assertThat(second.headers().firstValue("content-length")).hasValue(String.valueOf(first.body().length()));
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
        assertThat(fixture.upstream().cacheableNotModified.get()).isEqualTo(1);
    }

    @Test
    void aLastModifiedEntryIsRevalidatedWithIfModifiedSince() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=0", "&lm=1");
        get(gateway, path);
        nextCacheableRequest();
        HttpResponse<String> second = get(gateway, path);

        assertThat(nextCacheableRequest().headers()).containsEntry("if-modified-since", "Wed, 01 Jan 2025 00:00:00 GMT");
        assertThat(xCache(second)).isEqualTo("REVALIDATED");
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aNoCacheResponseIsStoredButRevalidatedAtEveryUse() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String noCache = path("no-cache", "&etag=nc");
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tags.add(xCache(get(gateway, noCache)));
        }
        assertThat(tags).containsExactly("MISS", "REVALIDATED", "REVALIDATED");
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
        assertThat(fixture.upstream().cacheableNotModified.get()).isEqualTo(2);
    }

    @Test
    void a304ThatGivesFreshnessMakesTheEntryFreshAgain() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("no-cache", "&etag=f&cc304=" + URLEncoder.encode("max-age=60", StandardCharsets.UTF_8));
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tags.add(xCache(get(gateway, path)));
        }
        assertThat(tags).containsExactly("MISS", "REVALIDATED", "HIT");
        assertThat(fixture.upstream().cacheableNotModified.get()).isEqualTo(1);
    }

    @Test
    void a304ThatMakesTheEntryUnstorableIsForItsOwnClientOnly() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=0", "&etag=ck&cookie304=1&ms=300");
        get(gateway, path);
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            together.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri(path))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (var answer : together) {
            answers.add(answer.get(20, java.util.concurrent.TimeUnit.SECONDS));
        }

        assertThat(answers).allSatisfy(answer -> assertThat(answer.statusCode()).isEqualTo(200));
        assertThat(answers.stream().filter(answer -> answer.headers().firstValue("set-cookie").isPresent()))
                .as("only the client whose conditional request got the 304 gets its cookie").hasSize(1);
    }

    @Test
    void mustRevalidateIsNeverServedStaleWhenTheUpstreamFails() throws Exception {
        TestGateway gateway = cached("ttl: 10m, stale_if_error: 1h");
        String mustRevalidate = path("max-age=0, must-revalidate", "&etag=m");
        String lenient = path("max-age=0", "&etag=l");
        get(gateway, mustRevalidate);
        get(gateway, lenient);
        nextCacheableRequest();
        nextCacheableRequest();
        fixture.upstream().cacheableFailing.set(true);

        assertThat(get(gateway, mustRevalidate).statusCode()).isEqualTo(503);
        assertThat(nextCacheableRequest().headers()).as("stored, and asked about").containsEntry("if-none-match",
                "\"m\"");
        HttpResponse<String> stale = get(gateway, lenient);
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(xCache(stale)).isEqualTo("STALE");
    }

    @Test
    void theClientsOwnConditionalsAreAnsweredFromAFreshEntry() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=60", "&etag=v7&lm=1");
        get(gateway, path);

        HttpResponse<String> strong = get(gateway, path, "If-None-Match", "\"v7\"");
        HttpResponse<String> weakInAList = get(gateway, path, "If-None-Match", "\"other\", W/\"v7\"");
        HttpResponse<String> otherTag = get(gateway, path, "If-None-Match", "\"other\"");
        HttpResponse<String> sinceLater = get(gateway, path, "If-Modified-Since", "Thu, 02 Jan 2025 00:00:00 GMT");
        HttpResponse<String> sinceEarlier = get(gateway, path, "If-Modified-Since", "Tue, 31 Dec 2024 00:00:00 GMT");

        assertThat(strong.statusCode()).isEqualTo(304);
        assertThat(strong.body()).isEmpty();
        assertThat(strong.headers().firstValue("etag")).hasValue("\"v7\"");
        assertThat(strong.headers().firstValue("cache-control")).hasValue("max-age=60");
        assertThat(strong.headers().firstValue("content-type")).isEmpty();
        assertThat(xCache(strong)).isEqualTo("HIT");
        assertThat(weakInAList.statusCode()).isEqualTo(304);
        assertThat(otherTag.statusCode()).isEqualTo(200);
        assertThat(sinceLater.statusCode()).isEqualTo(304);
        assertThat(sinceEarlier.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aMissWithTheClientsConditionalsFillsWithTheWholeResponseAndAnswersThe304Itself() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=60", "&etag=v9");
        HttpResponse<String> first = get(gateway, path, "If-None-Match", "\"v9\"");

        assertThat(nextCacheableRequest().headers()).doesNotContainKey("if-none-match");
        assertThat(first.statusCode()).isEqualTo(304);
        assertThat(xCache(first)).isEqualTo("MISS");
        HttpResponse<String> plain = get(gateway, path);
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(xCache(plain)).isEqualTo("HIT");
        assertThat(plain.body()).contains("\"n\":1");
    }

    @Test
    void aByteRangeOfAFreshEntryIsAnsweredFromTheCache() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=60", "&etag=r1&size=100");
        HttpResponse<String> whole = get(gateway, path);

        HttpResponse<String> middle = get(gateway, path, "Range", "bytes=10-19");
        HttpResponse<String> suffix = get(gateway, path, "Range", "bytes=-5");
        HttpResponse<String> stillTheSame = get(gateway, path, "Range", "bytes=0-4", "If-Range", "\"r1\"");
        HttpResponse<String> changedSince = get(gateway, path, "Range", "bytes=0-4", "If-Range", "\"r0\"");
        HttpResponse<String> twoRanges = get(gateway, path, "Range", "bytes=0-1, 5-6");

        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.body()).isEqualTo(whole.body().substring(10, 20));
        assertThat(middle.headers().firstValue("content-range")).hasValue("bytes 10-19/100");
        assertThat(middle.headers().firstValue("content-length")).hasValue("10");
        assertThat(xCache(middle)).isEqualTo("HIT");
        assertThat(suffix.body()).isEqualTo(whole.body().substring(95));
        assertThat(stillTheSame.statusCode()).isEqualTo(206);
        assertThat(changedSince.statusCode()).isEqualTo(200);
        assertThat(changedSince.body()).isEqualTo(whole.body());
        assertThat(twoRanges.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aSuccessfulUnsafeRequestInvalidatesItsTargetForEveryCaller() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=60", "");
        get(gateway, path, "Authorization", "Bearer alice");
        get(gateway, path, "Authorization", "Bearer bob");
        assertThat(xCache(get(gateway, path, "Authorization", "Bearer alice"))).isEqualTo("HIT");

        assertThat(send(gateway, "POST", path).statusCode()).isEqualTo(200);

        assertThat(xCache(get(gateway, path, "Authorization", "Bearer alice"))).isEqualTo("MISS");
        assertThat(xCache(get(gateway, path, "Authorization", "Bearer bob"))).isEqualTo("MISS");
    }

    @Test
    void aFailedUnsafeRequestInvalidatesNothing() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String path = path("max-age=60", "");
        get(gateway, path);
        fixture.upstream().cacheableFailing.set(true);
        assertThat(send(gateway, "PUT", path).statusCode()).isEqualTo(503);
        fixture.upstream().cacheableFailing.set(false);
        assertThat(xCache(get(gateway, path))).isEqualTo("HIT");
    }

    @Test
    void onARouteThatCachesPostsAPostIsNeverMadeConditionalNorAnswered304() throws Exception {
        TestGateway gateway = cached("ttl: 10m, methods: [GET, HEAD, POST]");
        String path = path("max-age=0", "&etag=p1");
        assertThat(send(gateway, "POST", path).statusCode()).isEqualTo(200);
        nextCacheableRequest();
        HttpResponse<String> again = send(gateway, "POST", path, "If-None-Match", "\"p1\"");

        TestUpstream.Recorded second = nextCacheableRequest();
        assertThat(second.method()).isEqualTo("POST");
        assertThat(second.headers().get("if-none-match")).as("the client's own, forwarded as it came")
                .isEqualTo("\"p1\"");
        assertThat(again.statusCode()).isNotEqualTo(412);
        assertThat(send(gateway, "POST", path("max-age=60", "&etag=p2")).statusCode()).isEqualTo(200);
        HttpResponse<String> hit = send(gateway, "POST", path("max-age=60", "&etag=p2"), "If-None-Match", "\"p2\"");
        assertThat(xCache(hit)).isEqualTo("HIT");
        assertThat(hit.statusCode()).as("a POST's conditionals are not the cache's to answer").isEqualTo(200);
    }

    @Test
    void aHeadThatFindsAnEntryStaleRefreshesItWithAGet() throws Exception {
        TestGateway gateway = cached("ttl: 10m, stale_while_revalidate: 1h");
        String path = path("max-age=1", "&size=200");
        HttpResponse<String> first = get(gateway, path);
        await().atMost(Duration.ofSeconds(10)).until(() -> xCache(send(gateway, "HEAD", path)).equals("STALE"));
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.upstream().cacheableServed.get() == 2);
        TestUpstream.Recorded refresh = fixture.upstream().requests.stream()
                .filter(seen -> seen.uri().startsWith("/cacheable")).reduce((a, b) -> b).orElseThrow();
        assertThat(refresh.method()).isEqualTo("GET");
        HttpResponse<String> after = get(gateway, path);
        assertThat(after.body()).hasSize(first.body().length());
    }

    @Test
    void locationAndContentLocationOnTheSameUpstreamAreInvalidatedButNotElsewhere() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String located = path("max-age=60", "&id=located");
        String described = path("max-age=60", "&id=described");
        String elsewhere = path("max-age=60", "&id=elsewhere");
        for (String p : List.of(located, described, elsewhere)) {
            get(gateway, p);
        }
        String upstreamLocated = located.substring("/api".length());
        String upstreamDescribed = fixture.upstream().url() + described.substring("/api".length());
        String foreign = "http://other.example" + elsewhere.substring("/api".length());

        send(gateway, "POST", "/api/cacheable?id=form&location=" + URLEncoder.encode(upstreamLocated,
                StandardCharsets.UTF_8) + "&content_location=" + URLEncoder.encode(upstreamDescribed,
                StandardCharsets.UTF_8));
        send(gateway, "PATCH", "/api/cacheable?id=form2&location=" + URLEncoder.encode(foreign,
                StandardCharsets.UTF_8));

        assertThat(xCache(get(gateway, located))).isEqualTo("MISS");
        assertThat(xCache(get(gateway, described))).isEqualTo("MISS");
        assertThat(xCache(get(gateway, elsewhere))).isEqualTo("HIT");
    }

    @Test
    void withTtlZeroOnlyWhatTheUpstreamMarksFreshIsStored() throws Exception {
        TestGateway gateway = cached("ttl: 0s");
        get(gateway, "/api/cacheable?id=plain");
        get(gateway, path("max-age=60", "&id=fresh"));

        assertThat(xCache(get(gateway, "/api/cacheable?id=plain"))).isEqualTo("MISS");
        assertThat(xCache(get(gateway, path("max-age=60", "&id=fresh")))).isEqualTo("HIT");
    }

    @Test
    void surrogateControlForThisGatewayWinsOverCacheControlAndIsNotPassedOn() throws Exception {
        TestGateway gateway = cached("ttl: 10m");
        String forUs = path("no-store", "&surrogate_control="
                + URLEncoder.encode("max-age=60;" + SurrogateControl.DEVICE, StandardCharsets.UTF_8));
        String forOthers = path("no-store", "&surrogate_control="
                + URLEncoder.encode("max-age=60;another-cdn", StandardCharsets.UTF_8));
        String surrogateNoStore = path("max-age=60", "&surrogate_control=no-store");

        HttpResponse<String> first = get(gateway, forUs);
        assertThat(nextCacheableRequest().headers()).containsEntry("surrogate-capability",
                SurrogateControl.CAPABILITY);
        assertThat(first.headers().firstValue("surrogate-control")).isEmpty();
        HttpResponse<String> hit = get(gateway, forUs);
        assertThat(xCache(hit)).isEqualTo("HIT");
        assertThat(hit.headers().firstValue("surrogate-control")).isEmpty();
        get(gateway, forOthers);
        assertThat(xCache(get(gateway, forOthers))).isEqualTo("MISS");
        get(gateway, surrogateNoStore);
        assertThat(xCache(get(gateway, surrogateNoStore))).isEqualTo("MISS");
    }
}
