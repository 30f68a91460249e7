package dev.platemate.gateway.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a successful unsafe request invalidates (RFC 9111 section 4.4): its own target, and the targets its
 * response's Location and Content-Location name when they are on the same upstream. Stateless.
 */
public final class Invalidation {

    /** Methods that never change what they address; every other method does, unless the route caches it. */
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    private Invalidation() {
    }

    /** Whether a successful answer to {@code method} invalidates its target. */
    public static boolean unsafe(String method) {
        return !SAFE.contains(method);
    }

    /** Whether the answer is a success, the only kind that invalidates (2xx, 3xx). */
    public static boolean successful(int status) {
        return status >= 200 && status < 400;
    }

    /**
     * The upstream targets (path and query) to invalidate.
     *
     * @param upstreamOrigin the upstream's scheme, host and port, as a URI with path {@code /}
     * @param target         the request's upstream target
     */
    public static List<String> targets(URI upstreamOrigin, String target, HttpHeaders response) {
        List<String> targets = new ArrayList<>(3);
        targets.add(target);
        for (String name : List.of(HttpHeaderNames.LOCATION.toString(), HttpHeaderNames.CONTENT_LOCATION.toString())) {
            String value = response.get(name);
            String other = value == null ? null : sameOrigin(upstreamOrigin, target, value.strip());
            if (other != null && !targets.contains(other)) {
                targets.add(other);
            }
        }
        return targets;
    }

    /** {@code reference} resolved against the request's URI, as a target, or null when it is elsewhere or garbled. */
    private static String sameOrigin(URI upstreamOrigin, String target, String reference) {
        try {
            URI base = upstreamOrigin.resolve(target);
            URI resolved = base.resolve(reference);
            if (!base.getScheme().equalsIgnoreCase(Objects.requireNonNullElse(resolved.getScheme(), ""))
                    || !base.getHost().equalsIgnoreCase(Objects.requireNonNullElse(resolved.getHost(), ""))
                    || port(base) != port(resolved) || resolved.getRawPath() == null) {
                return null;
            }
            String path = resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
            return resolved.getRawQuery() == null ? path : path + "?" + resolved.getRawQuery();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
