package dev.platemate.gateway.route;

import java.util.Locale;
import java.util.Optional;

/**
 * A request target split into a normalised path and a raw query. Only origin-form targets ({@code /a/b?q}) are
 * accepted, and absolute-form ones whose authority is the request's own Host; '..' and '.' segments, in any
 * spelling, are refused rather than resolved, so no prefix can be escaped.
 */
public record RequestTarget(String path, String query) {

    /** The outcome of parsing: a target, or why there is none. */
    public sealed interface Parsed permits Valid, Invalid, ForeignHost {
    }

    public record Valid(RequestTarget target) implements Parsed {
    }

    /** Malformed or an escape attempt: 400. */
    public record Invalid(String reason) implements Parsed {
    }

    /** Absolute-form naming some other host: 404, never proxied. */
    public record ForeignHost(String authority) implements Parsed {
    }

    public static Parsed parse(String uri, String host) {
        String target = uri;
        if (!target.startsWith("/")) {
            int schemeEnd = target.indexOf("://");
            if (schemeEnd <= 0) {
                return new Invalid("the request target must start with '/'");
            }
            int pathStart = target.indexOf('/', schemeEnd + 3);
            String authority = target.substring(schemeEnd + 3, pathStart < 0 ? target.length() : pathStart);
            if (host == null || !authority.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT))) {
                return new ForeignHost(authority);
            }
            target = pathStart < 0 ? "/" : target.substring(pathStart);
        }
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        int hash = rawPath.indexOf('#');
        if (hash >= 0 || (query != null && query.indexOf('#') >= 0)) {
            return new Invalid("the request target must not carry a fragment");
        }
        return normalise(rawPath).<Parsed>map(p -> new Valid(new RequestTarget(p, query)))
                .orElseGet(() -> new Invalid("the path holds '.' or '..' segments or invalid characters"));
    }

    /** Collapses repeated slashes; refuses dot segments (also percent-encoded) and control characters. */
    static Optional<String> normalise(String rawPath) {
        if (isPlain(rawPath)) {
            return Optional.of(rawPath.isEmpty() ? "/" : rawPath);
        }
        StringBuilder out = new StringBuilder(rawPath.length());
        int i = 0;
        int n = rawPath.length();
        while (i < n) {
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == '\\') {
                return Optional.empty();
            }
            if (c == '/') {
                int end = i + 1;
                while (end < n && rawPath.charAt(end) == '/') {
                    end++;
                }
                int segmentEnd = rawPath.indexOf('/', end);
                String segment = rawPath.substring(end, segmentEnd < 0 ? n : segmentEnd);
                String decoded = segment.toLowerCase(Locale.ROOT).replace("%2e", ".");
                if (decoded.equals(".") || decoded.equals("..") || segment.toLowerCase(Locale.ROOT).contains("%2f")
                        || segment.toLowerCase(Locale.ROOT).contains("%5c")) {
                    return Optional.empty();
                }
                out.append('/');
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return Optional.of(out.length() == 0 ? "/" : out.toString());
    }

    /**
     * Whether the path is already normal, as most are: no control character, backslash or percent sign, no
     * repeated slash, and no segment that starts with a dot. Such a path is used as it is.
     */
    private static boolean isPlain(String rawPath) {
        char previous = 0;
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == '\\' || c == '%' || (previous == '/' && (c == '/' || c == '.'))) {
                return false;
            }
            previous = c;
        }
        return true;
    }
}
