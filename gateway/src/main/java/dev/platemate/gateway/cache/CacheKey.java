package dev.platemate.gateway.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a cached response is filed under: the route, the method (HEAD looks up GET), the upstream, the upstream
 * target (path and query), a hash of the caller's Authorization (one caller never gets another's response, and
 * the secret is never held in clear), and for POST a hash of the body. Headers named by the response's Vary are
 * matched against the entry itself.
 */
public record CacheKey(String routePrefix, String method, String upstream, String target, String callerHash,
                       String bodyHash) {

    /** @param authorization the caller's Authorization header, or null */
    public static CacheKey of(String routePrefix, String method, String upstream, String target,
                              String authorization, byte[] body) {
        return new CacheKey(routePrefix, method, upstream, target,
                authorization == null ? "" : sha256(authorization.getBytes(StandardCharsets.UTF_8)),
                body == null ? "" : sha256(body));
    }

    /** What an unsafe request invalidates at once: every method, caller and body of one target on one route. */
    public record Resource(String routePrefix, String upstream, String target) {

        /**
         * Its name in the shared tier: the route prefix in clear (so one route can be purged), then a hash of the
         * upstream and target, so the target is not readable there.
         */
        public String sharedName() {
            return routePrefix + ":" + sha256((upstream + "\n" + target).getBytes(StandardCharsets.UTF_8));
        }
    }

    public Resource resource() {
        return new Resource(routePrefix, upstream, target);
    }

    /** Which of its resource's entries it is, in the shared tier: a hash, so no caller's hash is readable there. */
    public String sharedVariant() {
        return sha256(String.join("\n", method, callerHash, bodyHash).getBytes(StandardCharsets.UTF_8));
    }

    /** The bytes it costs to hold the key, for the cache's weight. */
    int weight() {
        return 64 + routePrefix.length() + method.length() + upstream.length() + target.length()
                + callerHash.length() + bodyHash.length();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return method + " " + upstream + " " + target + (callerHash.isEmpty() ? "" : " caller=" + callerHash.substring(0, 12))
                + (bodyHash.isEmpty() ? "" : " body=" + bodyHash.substring(0, 12));
    }
}
