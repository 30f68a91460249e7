package dev.platemate.gateway.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * The header lines of a request head as the client sent them: a copy of the head's bytes and, per line, where its
 * name and its value (trimmed) lie. Names are tokens and values visible ASCII, spaces and tabs (the simple heads
 * the client side reads in place), so a value reads the same as Latin-1 or ASCII. A value read as a string is kept,
 * so asking again costs nothing. Per request; one thread at a time, as its {@link RawHeaders}.
 */
public final class HeadLines {

    /** What follows a header's name, and what ends a line, as shorts. */
    public static final int COLON_SPACE = (':' << 8) | ' ';
    public static final int CRLF = ('\r' << 8) | '\n';

    private final byte[] head;
    private final int[] fields;   // per line: name start, name end, value start, value end
    private final int count;
    private String[] values;       // each value once read

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
        if (values == null) {
            values = new String[count];
        }
        String value = values[line];
        if (value == null) {
            value = latin1(fields[4 * line + 2], fields[4 * line + 3]);
            values[line] = value;
        }
        return value;
    }

    public int nameLength(int line) {
        return fields[4 * line + 1] - fields[4 * line];
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
    private boolean nameIs(int line, CharSequence name) {
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

    /** Writes line {@code line} as an encoder writes a header: the name, a colon, a space, the value and CRLF. */
    public void writeLine(int line, ByteBuf out) {
        int nameStart = fields[4 * line];
        out.writeBytes(head, nameStart, fields[4 * line + 1] - nameStart);
        out.writeShort(COLON_SPACE);
        int valueStart = fields[4 * line + 2];
        out.writeBytes(head, valueStart, fields[4 * line + 3] - valueStart);
        out.writeShort(CRLF);
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
