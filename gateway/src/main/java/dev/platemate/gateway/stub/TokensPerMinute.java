package dev.platemate.gateway.stub;

import java.util.function.LongSupplier;

/**
 * The stand-in's own tokens-per-minute limit, as a provider keeps one: a window of a minute from its first use
 * (and from the first use after each window ends),
 * counting the tokens of the answers it gave. A request that would go over is refused, as OpenAI refuses it, with
 * what is left and when the window starts again. Thread-safe.
 */
final class TokensPerMinute {

    private static final long MINUTE = 60_000_000_000L;

    private final long limit;
    private final LongSupplier nanos;
    private long windowStart;
    private boolean started;
    private long used;

    /** @param limit tokens per minute; 0 for none */
    TokensPerMinute(long limit, LongSupplier nanos) {
        this.limit = limit;
        this.nanos = nanos;
    }

    boolean limited() {
        return limit > 0;
    }

    /** Takes {@code tokens} if the window has room. @return whether it had */
    synchronized boolean take(long tokens) {
        roll();
        if (used + tokens > limit) {
            return false;
        }
        used += tokens;
        return true;
    }

    synchronized long limit() {
        return limit;
    }

    synchronized long remaining() {
        roll();
        return Math.max(0, limit - used);
    }

    /** Seconds until the window starts again, as OpenAI writes it ({@code 12.345s}). */
    synchronized String reset() {
        roll();
        long left = Math.max(0, windowStart + MINUTE - nanos.getAsLong());
        return String.format(java.util.Locale.ROOT, "%.3fs", left / 1e9);
    }

    /** Whole seconds until the window starts again, at least 1, for Retry-After. */
    synchronized long retryAfterSeconds() {
        return Math.max(1, (windowStart + MINUTE - nanos.getAsLong() + 999_999_999L) / 1_000_000_000L);
    }

    private void roll() {
        long now = nanos.getAsLong();
        if (!started || now - windowStart >= MINUTE) {
            started = true;
            windowStart = now;
            used = 0;
        }
    }
}
