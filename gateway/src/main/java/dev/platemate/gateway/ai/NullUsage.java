package dev.platemate.gateway.ai;

import java.nio.charset.StandardCharsets;

/**
 * Takes the {@code "usage": null} member out of a stream chunk: with {@code include_usage} the provider adds it to
 * every chunk, and a client that did not ask for usage must get its chunks as they would have been. Only a
 * top-level member is taken, with its comma, and the rest of the text is left exactly as it was. Stateless.
 */
final class NullUsage {

    private NullUsage() {
    }

    /**
     * An event's bytes with the {@code "usage": null} taken out of its data line: only a single {@code data:} line is
     * touched, every other line (id, event, comments) and every line end stays as it came.
     */
    static byte[] removedFromData(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        int data = -1;
        for (int line = 0; line < text.length(); line = nextLine(text, line)) {
            if (text.startsWith("data:", line)) {
                if (data >= 0) {
                    return raw;   // several data lines (a JSON split over lines): left as it is
                }
                data = line;
            }
        }
        if (data < 0) {
            return raw;
        }
        int from = data + (text.startsWith("data: ", data) ? 6 : 5);
        int to = from;
        while (to < text.length() && text.charAt(to) != '\n' && text.charAt(to) != '\r') {
            to++;
        }
        String payload = text.substring(from, to);
        String removed = removed(payload);
        return removed.equals(payload) ? raw
                : (text.substring(0, from) + removed + text.substring(to)).getBytes(StandardCharsets.UTF_8);
    }

    /** Where the line after the one at {@code at} begins (past CR LF, LF or CR), or the text's length. */
    private static int nextLine(String text, int at) {
        int i = at;
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        if (i < text.length() && text.charAt(i) == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
            i++;
        }
        return i + 1;
    }

    /** {@code json} without its top-level {@code "usage": null}; as it is when it has none. */
    static String removed(String json) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == '"') {
                int end = depth == 1 ? nullUsageEnd(json, i) : -1;
                if (end > 0) {
                    return cut(json, i, end);
                }
                inString = true;
            }
        }
        return json;
    }

    /** Where a {@code "usage" : null} starting at {@code at} ends, or -1 when that is not what starts there. */
    private static int nullUsageEnd(String json, int at) {
        if (!json.startsWith("\"usage\"", at)) {
            return -1;
        }
        int i = skipSpaces(json, at + 7);
        if (i >= json.length() || json.charAt(i) != ':') {
            return -1;
        }
        i = skipSpaces(json, i + 1);
        return json.startsWith("null", i) ? i + 4 : -1;
    }

    /** The member from {@code from} to {@code to} cut out with the comma before it, or else the one after it. */
    private static String cut(String json, int from, int to) {
        int before = from - 1;
        while (before >= 0 && Character.isWhitespace(json.charAt(before))) {
            before--;
        }
        if (before >= 0 && json.charAt(before) == ',') {
            return json.substring(0, before) + json.substring(to);
        }
        int after = skipSpaces(json, to);
        if (after < json.length() && json.charAt(after) == ',') {
            return json.substring(0, from) + json.substring(skipSpaces(json, after + 1));
        }
        return json.substring(0, from) + json.substring(to);
    }

    private static int skipSpaces(String json, int i) {
        while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
            i++;
        }
        return i;
    }
}
