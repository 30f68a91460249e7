package dev.platemate.gateway.cache;

import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.wire.WireNumbers;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The caching rules of DESIGN.md: what may be stored, and for how long it is fresh. Stateless. */
public final class CachePolicy {

    private static final Set<Integer> CACHEABLE_STATUS = Set.of(200, 203, 204, 300, 301, 404, 410);

    private CachePolicy() {
    }

    /** How long a storable response stays fresh, and may then be served stale. */
    public record Freshness(Duration ttl, Duration staleWhileRevalidate, Duration staleIfError, long upstreamAge) {
    }

    /** A request that asks not to be served from cache (Cache-Control no-cache or no-store, Pragma no-cache). */
    public static boolean bypasses(HttpHeaders request) {
        if (!request.contains(HttpHeaderNames.CACHE_CONTROL) && !request.contains(HttpHeaderNames.PRAGMA)) {
            return false; // most requests: nothing to parse
        }
        Map<String, String> directives = directives(request.getAll(HttpHeaderNames.CACHE_CONTROL));
        return directives.containsKey("no-cache") || directives.containsKey("no-store")
                || "no-cache".equalsIgnoreCase(request.get(HttpHeaderNames.PRAGMA, "").trim());
    }

    /**
     * The freshness of a response head, or null when it must not be stored: a status not listed, no-store,
     * private or no-cache, Set-Cookie, Vary: *, or no freshness left.
     */
    public static Freshness freshness(HttpResponse response, RouteCacheConfig route, ZonedDateTime now) {
        HttpHeaders headers = response.headers();
        if (!CACHEABLE_STATUS.contains(response.status().code()) || headers.contains(HttpHeaderNames.SET_COOKIE)) {
            return null;
        }
        for (String vary : headers.getAll(HttpHeaderNames.VARY)) {
            if (vary.trim().equals("*") || vary.contains("*")) {
                return null;
            }
        }
        Map<String, String> cc = directives(headers.getAll(HttpHeaderNames.CACHE_CONTROL));
        if (cc.containsKey("no-store") || cc.containsKey("private") || cc.containsKey("no-cache")) {
            return null;
        }
        long age = age(headers.get(HttpHeaderNames.AGE));
        Duration ttl;
        if (cc.containsKey("s-maxage")) {
            ttl = Duration.ofSeconds(seconds(cc.get("s-maxage"), 0));
        } else if (cc.containsKey("max-age")) {
            ttl = Duration.ofSeconds(seconds(cc.get("max-age"), 0));
        } else if (headers.contains(HttpHeaderNames.EXPIRES)) {
            ZonedDateTime date = date(headers.get(HttpHeaderNames.DATE), now);
            ZonedDateTime expires = date(headers.get(HttpHeaderNames.EXPIRES), null);
            ttl = expires == null ? Duration.ZERO : WireNumbers.clamp(Duration.between(date, expires));
        } else {
            ttl = route.ttl();
        }
        ttl = ttl.minusSeconds(age);
        if (ttl.isNegative() || ttl.isZero()) {
            return null;
        }
        Duration swr = cc.containsKey("stale-while-revalidate")
                ? Duration.ofSeconds(seconds(cc.get("stale-while-revalidate"), 0)) : route.staleWhileRevalidate();
        Duration sie = cc.containsKey("stale-if-error")
                ? Duration.ofSeconds(seconds(cc.get("stale-if-error"), 0)) : route.staleIfError();
        return new Freshness(ttl, swr, sie, age);
    }

    static Map<String, String> directives(Iterable<String> cacheControl) {
        Map<String, String> out = new HashMap<>();
        for (String header : cacheControl) {
            for (String part : header.split(",")) {
                String directive = part.trim();
                if (directive.isEmpty()) {
                    continue;
                }
                int eq = directive.indexOf('=');
                String name = (eq < 0 ? directive : directive.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
                String value = eq < 0 ? "" : directive.substring(eq + 1).trim().replace("\"", "");
                out.putIfAbsent(name, value);
            }
        }
        return out;
    }

    /** A delta-seconds directive's value, clamped (see WireNumbers); {@code fallback} when not a number. */
    private static long seconds(String value, long fallback) {
        long seconds = WireNumbers.deltaSeconds(value);
        return seconds < 0 ? fallback : seconds;
    }

    /**
     * The upstream's Age: the first member of the field (RFC 9111 section 5.1), clamped; 0 when absent or invalid,
     * which the RFC says to ignore.
     */
    static long age(String value) {
        if (value == null) {
            return 0;
        }
        int comma = value.indexOf(',');
        return Math.max(0, WireNumbers.deltaSeconds(comma < 0 ? value : value.substring(0, comma)));
    }

    private static ZonedDateTime date(String value, ZonedDateTime fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
