package dev.platemate.gateway.auth;

/** No token could be had for a request: why (never the secret or a token), and when to ask again. */
public final class NoToken extends RuntimeException {

    private final long retryAfterSeconds;

    NoToken(String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
