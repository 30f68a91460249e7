package dev.platemate.gateway.config;

import java.util.Locale;
import java.util.Optional;

/** A size in bytes, written in gateway.yml as {@code 512}, {@code 64KiB}, {@code 25MiB} or {@code 1GiB}. */
public record DataSize(long bytes) {

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative: " + bytes);
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofKibibytes(long kib) {
        return new DataSize(kib * 1024);
    }

    public static DataSize ofMebibytes(long mib) {
        return new DataSize(mib * 1024 * 1024);
    }

    /** Parses {@code 512}, {@code 512B}, {@code 64KiB}, {@code 25MiB}, {@code 1GiB} (also KB/MB/GB, taken as binary). */
    public static Optional<DataSize> parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        for (String[] suffix : new String[][] {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"},
                {"KB", "1024"}, {"MB", "1048576"}, {"GB", "1073741824"}, {"K", "1024"}, {"M", "1048576"},
                {"G", "1073741824"}, {"B", "1"}}) {
            if (s.endsWith(suffix[0])) {
                unit = Long.parseLong(suffix[1]);
                s = s.substring(0, s.length() - suffix[0].length()).trim();
                break;
            }
        }
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 12) {
            return Optional.empty();
        }
        return Optional.of(new DataSize(Long.parseLong(s) * unit));
    }

    /** The size as an int, for Netty settings that take one; sizes beyond 2 GiB are clamped. */
    public int toIntClamped() {
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public String toString() {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "MiB";
        }
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return (bytes >> 10) + "KiB";
        }
        return Long.toString(bytes);
    }
}
