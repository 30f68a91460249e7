package dev.platemate.gateway.wire;

import java.time.Duration;

/**
 * Numbers read from the wire, clamped rather than trusted. A delta-seconds value (max-age, s-maxage, stale-*, Age,
 * Retry-After) larger than {@link #MAX_DELTA_SECONDS} is taken as that, as RFC 9111 section 1.2.2 asks: about 68
 * years, which is forever for a cache and still fits in a {@code long} of nanoseconds with room to add. Stateless.
 */
public final class WireNumbers {

    /** 2^31, the RFC's stand-in for "too large to represent". */
    public static final long MAX_DELTA_SECONDS = 2_147_483_648L;
    /** The longest duration any wire number becomes. */
    public static final Duration MAX_DELTA = Duration.ofSeconds(MAX_DELTA_SECONDS);

    private WireNumbers() {
    }

    /**
     * A delta-seconds value: digits only (RFC 9111 section 1.2.2), clamped to {@link #MAX_DELTA_SECONDS}; or -1 when
     * {@code value} is null, empty or holds anything but digits (a sign, a fraction, spaces inside).
     */
    public static long deltaSeconds(CharSequence value) {
        if (value == null) {
            return -1;
        }
        int from = 0;
        int to = value.length();
        while (from < to && isSpace(value.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(value.charAt(to - 1))) {
            to--;
        }
        if (from == to) {
            return -1;
        }
        long seconds = 0;
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            seconds = Math.min(MAX_DELTA_SECONDS, seconds * 10 + (c - '0'));
        }
        return seconds;
    }

    /** {@code duration}, no longer than {@link #MAX_DELTA} and not negative. */
    public static Duration clamp(Duration duration) {
        if (duration.isNegative()) {
            return Duration.ZERO;
        }
        return duration.compareTo(MAX_DELTA) > 0 ? MAX_DELTA : duration;
    }

    /** {@code a + b}, held at {@link Long#MAX_VALUE} or {@link Long#MIN_VALUE} instead of wrapping around. */
    public static long saturatedAdd(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
