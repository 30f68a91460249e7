package dev.platemate.gateway.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** A bearer token and its life on this process's clock. Never printed: {@link #toString()} tells only the expiry. */
record Token(String value, long expiresAtNanos, long lifetimeNanos, Instant expiresAt) {

    /** A token is not handed out this close to its expiry. */
    static final Duration MARGIN = Duration.ofSeconds(1);
    /** What may go into an Authorization header: visible ASCII, no spaces, at most 4 KiB. */
    private static final Pattern VALUE = Pattern.compile("[\\x21-\\x7e]{1,4096}");

    /** {@code value}, {@code remainingNanos} from the end of its {@code lifetimeNanos}; null if it cannot be sent. */
    static Token of(String value, long remainingNanos, long lifetimeNanos) {
        if (value == null || !VALUE.matcher(value).matches() || remainingNanos <= 0) {
            return null;
        }
        return new Token(value, System.nanoTime() + remainingNanos, Math.max(remainingNanos, lifetimeNanos),
                Instant.now().plusNanos(remainingNanos));
    }

    boolean usable() {
        return usableFor(0);
    }

    /** Whether it still lives {@code nanos} from now, and the margin beyond. */
    boolean usableFor(long nanos) {
        return remainingNanos() > nanos + MARGIN.toNanos();
    }

    /** How long it has lived, as its issuer counts (an adopted token has lived part of its life elsewhere). */
    long ageNanos() {
        return lifetimeNanos - remainingNanos();
    }

    long remainingNanos() {
        return expiresAtNanos - System.nanoTime();
    }

    long remainingMillis() {
        return TimeUnit.NANOSECONDS.toMillis(remainingNanos());
    }

    @Override
    public String toString() {
        return "Token[expires " + expiresAt + "]";
    }
}
