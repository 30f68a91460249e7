package dev.platemate.gateway.stub;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stand-in's OAuth 2.0 client-credentials endpoint and the check its food API makes, as FatSecret's: a client
 * id and secret (HTTP Basic) buy a Bearer token for {@code lifetime}; the food search wants a live one. Off when
 * no client is set. Thread-safe.
 */
final class StubOAuth {

    private final String clientId;
    private final String clientSecret;
    private final Duration lifetime;
    private final Map<String, Long> tokens = new ConcurrentHashMap<>();

    StubOAuth(String clientId, String clientSecret, Duration lifetime) {
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.lifetime = lifetime;
    }

    boolean enabled() {
        return !clientId.isEmpty() && !clientSecret.isEmpty();
    }

    /** The token answer for a request with {@code authorization} and {@code body}: a token, or null (401). */
    String issue(String authorization, String body) {
        String expected = "Basic " + Base64.getEncoder().encodeToString((form(clientId) + ":" + form(clientSecret))
                .getBytes(StandardCharsets.UTF_8));   // RFC 6749 §2.3.1: each form-encoded first
        if (!enabled() || !expected.equals(authorization) || !body.contains("grant_type=client_credentials")) {
            return null;
        }
        long now = System.nanoTime();
        tokens.entrySet().removeIf(entry -> entry.getValue() - now < 0);
        String token = "stub-" + UUID.randomUUID();
        tokens.put(token, System.nanoTime() + lifetime.toNanos());
        return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + lifetime.toSeconds()
                + "}";
    }

    /** Whether {@code authorization} carries a live token (always, when off). */
    boolean allows(String authorization) {
        if (!enabled()) {
            return true;
        }
        Long expiry = authorization != null && authorization.startsWith("Bearer ")
                ? tokens.get(authorization.substring(7)) : null;
        return expiry != null && expiry - System.nanoTime() > 0;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
