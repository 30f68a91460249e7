package dev.platemate.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.TimeUnit;

/**
 * Reads a token endpoint's answer (RFC 6749 §5.1) as numbers from the wire: refused unless it is a 200 with a JSON
 * object, an {@code access_token} that can be a header value, a Bearer {@code token_type} (or none), and an
 * {@code expires_in} of 10 s to a year, as a number or a string of digits (none at all counts as an hour).
 */
final class TokenAnswer {

    static final long MIN_LIFETIME_SECONDS = 10;
    static final long MAX_LIFETIME_SECONDS = 366L * 24 * 3600;
    static final long DEFAULT_LIFETIME_SECONDS = 3600;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why an answer was refused; its message names no secret and no token. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private TokenAnswer() {
    }

    static Token read(TokenClient.Answer answer) {
        if (answer.status() != 200) {
            throw new Refused("the token endpoint answered " + answer.status());
        }
        JsonNode json;
        try {
            json = JSON.readTree(answer.body());
        } catch (Exception e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            throw new Refused(answer.body().length == 0 ? "the token endpoint's answer is empty"
                    : "the token endpoint's answer is not a JSON object");
        }
        String value = json.path("access_token").isTextual() ? json.path("access_token").asText() : null;
        if (Token.of(value, 1, 1) == null) {
            throw new Refused("the token endpoint's answer has no usable access_token");
        }
        if (json.has("token_type") && !json.path("token_type").asText("").equalsIgnoreCase("bearer")) {
            throw new Refused("the token endpoint's token_type is not Bearer");
        }
        long lifetime = lifetime(json.path("expires_in"));
        if (lifetime < MIN_LIFETIME_SECONDS || lifetime > MAX_LIFETIME_SECONDS) {
            throw new Refused("the token endpoint's expires_in is out of range (10 s to a year)");
        }
        long nanos = TimeUnit.SECONDS.toNanos(lifetime);
        return Token.of(value, nanos, nanos);
    }

    /** Seconds, or -1 for anything that is not a whole number that fits. */
    private static long lifetime(JsonNode expiresIn) {
        if (expiresIn.isMissingNode()) {
            return DEFAULT_LIFETIME_SECONDS;
        }
        if (expiresIn.isTextual() && expiresIn.asText().matches("\\d{1,12}")) {
            return Long.parseLong(expiresIn.asText());
        }
        return expiresIn.canConvertToExactIntegral() && expiresIn.canConvertToLong() ? expiresIn.asLong() : -1;
    }
}
