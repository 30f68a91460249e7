package dev.platemate.gateway.cache;

import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.server.EncodedResponse;
import dev.platemate.gateway.wire.HopByHop;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Entries made from responses: a fill's complete response, and a stored one freshened by a 304. What is never
 * stored (per connection, framing, and what the gateway adds or consumes) is left out of both. Stateless.
 */
public final class Entries {

    /** Per connection, framing, and what the gateway adds itself or consumes. */
    static final Set<String> NOT_STORED = Stream.concat(HopByHop.NAMES.stream(), Stream.of("transfer-encoding",
            "content-length", "server-timing", "x-cache", "age", SurrogateControl.NAME))
            .collect(Collectors.toUnmodifiableSet());
    /** The upstream's headers are read unvalidated (see UpstreamConnector); so are they when freshened. */
    private static final HttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

    private Entries() {
    }

    /** A revalidated entry, and whether it may be stored again (else it is for the client that asked only). */
    public record Freshened(CachedResponse entry, boolean storable) {
    }

    /**
     * The entry {@code head} and {@code body} make, filed for the request with {@code requestHeaders} (its values
     * of the headers Vary names are kept, hashed).
     */
    public static CachedResponse of(HttpResponse head, byte[] body, HttpHeaders requestHeaders, long now,
                                    CachePolicy.Freshness freshness) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Map.Entry<String, String> header : head.headers()) {
            if (!NOT_STORED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(Map.entry(header.getKey(), header.getValue()));
            }
        }
        List<String> varyNames = new ArrayList<>();
        for (String vary : head.headers().getAll(HttpHeaderNames.VARY)) {
            for (String name : vary.split(",")) {
                if (!name.isBlank()) {
                    varyNames.add(name.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        List<String> varyValues = new ArrayList<>();
        varyNames.forEach(name -> varyValues.add(CachedResponse.varyValue(requestHeaders.get(name))));
        return CachedResponse.stored(head.status().code(), headers, body, now, freshness, varyNames, varyValues);
    }

    /**
     * {@code old} with its headers freshened by {@code notModified} (see {@link Revalidation#freshened}) and its
     * freshness computed again; not storable when the 304 made it so (Set-Cookie, private, no-store).
     */
    public static Freshened freshened(CachedResponse old, HttpResponse notModified, RouteCacheConfig route,
                                      long now) {
        List<Map.Entry<String, String>> headers = Revalidation.freshened(old.headers(), notModified.headers(),
                NOT_STORED);
        if (!EncodedResponse.encodable(headers)) {
            headers = old.headers();
        }
        HttpResponse freshened = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(old.status()), UNCHECKED);
        headers.forEach(header -> freshened.headers().add(header.getKey(), header.getValue()));
        freshened.headers().set(HttpHeaderNames.AGE, notModified.headers().getAll(HttpHeaderNames.AGE))
                .set(SurrogateControl.NAME, notModified.headers().getAll(SurrogateControl.NAME));
        CachePolicy.Freshness renewed = CachePolicy.freshness(freshened, route, ZonedDateTime.now());
        CachedResponse entry = CachedResponse.stored(old.status(), headers, old.body(), now,
                renewed == null ? CachePolicy.Freshness.NONE : renewed, old.varyNames(), old.varyValues());
        return new Freshened(entry, renewed != null);
    }
}
