package dev.platemate.gateway.cache;

import java.util.HashMap;
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
                int semicolon = part.indexOf(';');
                if (semicolon < 0) {
                    CachePolicy.addDirective(out, part);
                } else if (part.substring(semicolon + 1).strip().equalsIgnoreCase(DEVICE)) {
                    CachePolicy.addDirective(out, part.substring(0, semicolon));
                }
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
