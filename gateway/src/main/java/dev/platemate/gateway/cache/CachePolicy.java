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

    /** How long a response with a validator is kept past the time it may be served, to be revalidated. */
    public static final Duration KEPT_FOR_REVALIDATION = Duration.ofHours(1);

    private CachePolicy() {
    }

    /**
     * How long a storable response stays fresh, and may then be served stale. A zero {@code ttl} (no-cache, or no
     * freshness left) is stored only with a validator, to be revalidated at each use.
     */
    public record Freshness(Duration ttl, Duration staleWhileRevalidate, Duration staleIfError, long upstreamAge) {
        /** Stale at once, never served stale. */
        public static final Freshness NONE = new Freshness(Duration.ZERO, Duration.ZERO, Duration.ZERO, 0);
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

    /** Whether a response carries a validator (ETag or Last-Modified) a conditional request can use. */
    public static boolean hasValidator(HttpHeaders headers) {
        return headers.contains(HttpHeaderNames.ETAG) || headers.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    /**
     * The freshness of a response head, or null when it must not be stored: a status not listed, Set-Cookie,
     * Vary: *, no-store or private, or no freshness left and no validator to revalidate it with. A Surrogate-Control
     * meant for this gateway decides on its own (its no-store, its max-age over every other source).
     * {@code must-revalidate}, {@code proxy-revalidate}, {@code s-maxage} and {@code no-cache} forbid serving it
     * stale; {@code no-cache} makes it stale at once.
     */
    public static Freshness freshness(HttpResponse response, RouteCacheConfig route, ZonedDateTime now) {
        HttpHeaders headers = response.headers();
        if (!CACHEABLE_STATUS.contains(response.status().code()) || headers.contains(HttpHeaderNames.SET_COOKIE)) {
            return null;
        }
        for (String vary : headers.getAll(HttpHeaderNames.VARY)) {
            if (vary.contains("*")) {
                return null;
            }
        }
        Map<String, String> cc = directives(headers.getAll(HttpHeaderNames.CACHE_CONTROL));
        Map<String, String> surrogate = SurrogateControl.forThisGateway(headers.getAll(SurrogateControl.NAME));
        if (surrogate.containsKey("no-store")) {
            return null;
        }
        boolean surrogateAge = surrogate.containsKey("max-age");
        if (!surrogateAge && (cc.containsKey("no-store") || cc.containsKey("private"))) {
            return null;
        }
        long age = age(headers.get(HttpHeaderNames.AGE));
        Duration lifetime;
        if (surrogateAge) {
            lifetime = Duration.ofSeconds(seconds(SurrogateControl.maxAge(surrogate.get("max-age")), 0));
        } else if (cc.containsKey("no-cache")) {
            lifetime = Duration.ZERO;
        } else if (cc.containsKey("s-maxage")) {
            lifetime = Duration.ofSeconds(seconds(cc.get("s-maxage"), 0));
        } else if (cc.containsKey("max-age")) {
            lifetime = Duration.ofSeconds(seconds(cc.get("max-age"), 0));
        } else if (headers.contains(HttpHeaderNames.EXPIRES)) {
            ZonedDateTime date = date(headers.get(HttpHeaderNames.DATE), now);
            ZonedDateTime expires = date(headers.get(HttpHeaderNames.EXPIRES), null);
            lifetime = expires == null ? Duration.ZERO : WireNumbers.clamp(Duration.between(date, expires));
        } else {
            lifetime = route.ttl();
        }
        Duration ttl = lifetime.minusSeconds(age);
        if (ttl.isNegative()) {
            ttl = Duration.ZERO;
        }
        if (ttl.isZero() && !hasValidator(headers)) {
            return null; // stale on arrival, and nothing to revalidate it with
        }
        if (cc.containsKey("must-revalidate") || cc.containsKey("proxy-revalidate") || cc.containsKey("s-maxage")
                || cc.containsKey("no-cache")) {
            return new Freshness(ttl, Duration.ZERO, Duration.ZERO, age);
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
                addDirective(out, part);
            }
        }
        return out;
    }

    /** One {@code name[=value]} directive into {@code out}: the name in lower case, quotes dropped; first wins. */
    static void addDirective(Map<String, String> out, String part) {
        String directive = part.strip();
        if (directive.isEmpty()) {
            return;
        }
        int eq = directive.indexOf('=');
        String name = (eq < 0 ? directive : directive.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
        out.putIfAbsent(name, eq < 0 ? "" : directive.substring(eq + 1).strip().replace("\"", ""));
    }

    /** A delta-seconds directive's value, clamped (see WireNumbers); {@code fallback} when not a number. */
    private static long seconds(String value, long fallback) {
        long seconds = WireNumbers.deltaSeconds(value);
        return seconds < 0 ? fallback : seconds;
    }

    /**
     * The upstream's Age, clamped: the first member of the first field line (RFC 9111 section 5.1), read by its
     * leading digits, so {@code 7200.0} and {@code 7200;foo=1} are 7200 s. A value with a sign is taken as old (an
     * age no cache can trust makes the response stale), one without digits is ignored (0), like an absent one.
     */
    static long age(String value) {
        if (value == null) {
            return 0;
        }
        String first = value.strip();
        int end = 0;
        while (end < first.length() && Character.isDigit(first.charAt(end)) && first.charAt(end) < 128) {
            end++;
        }
        if (end > 0) {
            return WireNumbers.deltaSeconds(first.substring(0, end));
        }
        return first.startsWith("-") || first.startsWith("+") ? WireNumbers.MAX_DELTA_SECONDS : 0;
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
