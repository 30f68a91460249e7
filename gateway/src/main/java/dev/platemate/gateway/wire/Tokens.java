package dev.platemate.gateway.wire;

import java.util.List;

/** RFC 9110's token characters, the only ones a header name may have. Stateless. */
public final class Tokens {

    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private Tokens() {
    }

    /** Whether {@code b} is a tchar. */
    public static boolean isTokenChar(int b) {
        return b >= 0 && b < 128 && TOKEN[b];
    }

    /** Whether {@code name} is a non-empty token. */
    public static boolean isToken(CharSequence name) {
        if (name.length() == 0) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether one of the comma-separated lists in {@code values} holds {@code token} (any case). */
    public static boolean contains(List<String> values, String token) {
        for (String value : values) {
            for (String element : value.split(",")) {
                if (element.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }
}
