package dev.platemate.gateway.cache;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Surrogate-Control (W3C Edge Architecture 1.0): cache directives an origin gives its own reverse-proxy caches,
 * over Cache-Control. The gateway announces itself on cached routes with {@link #CAPABILITY}; a directive applies
 * to it when it names no target or names {@link #DEVICE}. Stateless.
 */
public final class SurrogateControl {

    /** The response field. */
    public static final String NAME = "surrogate-control";
    /** The request field announcing what this cache understands. */
    public static final String CAPABILITY_NAME = "surrogate-capability";
    /** This gateway's device token in {@code Surrogate-Capability} and in targeted directives. */
    public static final String DEVICE = "platemate-gateway";
    /** The value of {@code Surrogate-Capability} sent upstream on cached routes. */
    public static final String CAPABILITY = DEVICE + "=\"Surrogate/1.0\"";

    private SurrogateControl() {
    }

    /**
     * The directives meant for this gateway, names in lower case, values as given ({@code ""} for none): each
     * {@code name[=value][;target]}, the first of a name winning.
     */
    static Map<String, String> forThisGateway(Iterable<String> fieldLines) {
        Map<String, String> out = new HashMap<>();
        for (String line : fieldLines) {
            for (String part : line.split(",")) {
                String directive = part.strip();
                int semicolon = directive.indexOf(';');
                if (semicolon >= 0) {
                    if (!directive.substring(semicolon + 1).strip().equalsIgnoreCase(DEVICE)) {
                        continue;
                    }
                    directive = directive.substring(0, semicolon).strip();
                }
                if (directive.isEmpty()) {
                    continue;
                }
                int eq = directive.indexOf('=');
                String name = (eq < 0 ? directive : directive.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
                out.putIfAbsent(name, eq < 0 ? "" : directive.substring(eq + 1).strip().replace("\"", ""));
            }
        }
        return out;
    }

    /** The freshness part of {@code max-age=N[+M]} (M is how long it may be served stale on error: not used). */
    static String maxAge(String value) {
        int plus = value.indexOf('+');
        return plus < 0 ? value : value.substring(0, plus);
    }
}
