package dev.platemate.gateway.cache;

import dev.platemate.gateway.wire.WireNumbers;

/**
 * One satisfiable byte range of a stored body (RFC 9110 section 14.1.2): {@code bytes=first-last},
 * {@code bytes=first-} or {@code bytes=-suffix}. Anything else (several ranges, another unit, garbled or
 * unsatisfiable) is no range at all, and the whole response answers, as a server may.
 *
 * @param first the first byte, from 0
 * @param last  the last byte, inclusive, below the body's length
 */
public record ByteRange(long first, long last) {

    /** The range {@code header} asks of a body of {@code length} bytes, or null to answer the whole. */
    public static ByteRange of(String header, long length) {
        if (header == null || length == 0) {
            return null;
        }
        String spec = header.strip();
        if (spec.length() < 7 || !spec.regionMatches(true, 0, "bytes=", 0, 6) || spec.indexOf(',') >= 0) {
            return null;
        }
        String range = spec.substring(6).strip();
        int dash = range.indexOf('-');
        if (dash < 0) {
            return null;
        }
        long first = dash == 0 ? -1 : WireNumbers.deltaSeconds(range.substring(0, dash)); // digits only, clamped
        long last = dash == range.length() - 1 ? -1 : WireNumbers.deltaSeconds(range.substring(dash + 1));
        if (dash == 0) {
            return last <= 0 ? null : new ByteRange(Math.max(0, length - last), length - 1);
        }
        if (first < 0 || first >= length || dash < range.length() - 1 && last < first) {
            return null;
        }
        return new ByteRange(first, last < 0 ? length - 1 : Math.min(last, length - 1));
    }

    public int size() {
        return (int) (last - first + 1);
    }
}
