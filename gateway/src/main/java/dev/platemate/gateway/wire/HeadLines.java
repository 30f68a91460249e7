package dev.platemate.gateway.wire;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * The header lines of a request head as the client sent them: a copy of the head's bytes and, per line, where its
 * name and its value (trimmed) lie. Names are tokens and values visible ASCII, spaces and tabs (the simple heads
 * the client side reads in place), so a value reads the same as Latin-1 or ASCII. Immutable; any thread.
 */
public final class HeadLines {

    private final byte[] head;
    private final int[] fields;   // per line: name start, name end, value start, value end
    private final int count;

    /** @param fields four offsets into {@code head} per line; both arrays are the caller's no more */
    public HeadLines(byte[] head, int[] fields, int count) {
        this.head = head;
        this.fields = fields;
        this.count = count;
    }

    public int count() {
        return count;
    }

    public String name(int line) {
        return latin1(fields[4 * line], fields[4 * line + 1]);
    }

    public String value(int line) {
        return latin1(fields[4 * line + 2], fields[4 * line + 3]);
    }

    /** The name of line {@code line} as a view of the bytes, not a copy. */
    public CharSequence nameView(int line) {
        return view(fields[4 * line], fields[4 * line + 1]);
    }

    /** The value of line {@code line} as a view of the bytes, not a copy. */
    public CharSequence valueView(int line) {
        return view(fields[4 * line + 2], fields[4 * line + 3]);
    }

    /** Whether line {@code line}'s name is {@code name}, in any case. */
    public boolean nameIs(int line, CharSequence name) {
        int start = fields[4 * line];
        int length = fields[4 * line + 1] - start;
        if (length != name.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (lower(head[start + i]) != lower(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The first line from {@code from} on named {@code name}, or -1. */
    public int find(CharSequence name, int from) {
        for (int line = from; line < count; line++) {
            if (nameIs(line, name)) {
                return line;
            }
        }
        return -1;
    }

    /** The bytes of line {@code line} as an encoder writes a header: the name, a colon, a space and the value. */
    public int lineLength(int line) {
        return fields[4 * line + 1] - fields[4 * line] + 2 + fields[4 * line + 3] - fields[4 * line + 2];
    }

    /** Puts {@link #lineLength} bytes of line {@code line} into {@code out} at {@code at}. @return where they end */
    public int copyLine(int line, byte[] out, int at) {
        int nameStart = fields[4 * line];
        int nameLength = fields[4 * line + 1] - nameStart;
        System.arraycopy(head, nameStart, out, at, nameLength);
        at += nameLength;
        out[at++] = ':';
        out[at++] = ' ';
        int valueStart = fields[4 * line + 2];
        int valueLength = fields[4 * line + 3] - valueStart;
        System.arraycopy(head, valueStart, out, at, valueLength);
        return at + valueLength;
    }

    private CharSequence view(int start, int end) {
        return new AsciiString(head, start, end - start, false);
    }

    private String latin1(int start, int end) {
        return new String(head, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
}
