package dev.platemate.gateway.wire;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The fields that belong to one connection, not to the message (RFC 9110 section 7.6.1), which a proxy never
 * passes on: one table for every response path (decoded, plain bytes, stored). Transfer-Encoding is framing,
 * handled by each path itself. Stateless.
 */
public final class HopByHop {

    /** Lower case. Connection's own tokens name more, per message. */
    public static final List<String> NAMES = List.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "upgrade", "proxy-authenticate", "proxy-authorization");

    private static final Set<String> SET = Set.copyOf(NAMES);

    private HopByHop() {
    }

    /** Whether {@code name} (any case) is one of {@link #NAMES}. */
    public static boolean is(String name) {
        return SET.contains(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Whether the field a Connection token names (any case, trimmed) goes with the connection: not an empty one, and
     * not Content-Length or Transfer-Encoding, which say where the message ends (named in Connection and removed,
     * a request's body would reach the upstream as the start of the next request).
     */
    public static boolean goesWhenNamed(String token) {
        return !token.isEmpty() && !token.equalsIgnoreCase("content-length")
                && !token.equalsIgnoreCase("transfer-encoding");
    }

    /** {@link #NAMES} as ASCII bytes, for the paths that read heads as bytes. */
    public static byte[][] asBytes() {
        return NAMES.stream().map(name -> name.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
    }
}
