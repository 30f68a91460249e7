package dev.platemate.gateway.proxy;

import dev.platemate.gateway.wire.HeadLines;
import dev.platemate.gateway.wire.HopByHop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The upstream head made from the client's own header lines: what {@link HeaderRewriter} does to Netty's headers,
 * done to the lines, in the same order and the same bytes as Netty's encoder would write the rewritten headers.
 * Lines the rewrite keeps are copied; those it removes or replaces are left out, and the ones it sets follow, in
 * the order it sets them. One per head being made; event-loop only.
 */
final class UpstreamHead implements HeaderRewriter.Fields {

    private static final byte[] HTTP_1_1_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HeadLines lines;
    private final boolean[] dropped;
    private final List<String> setNames = new ArrayList<>(8);
    private final List<String> setValues = new ArrayList<>(8);

    UpstreamHead(HeadLines lines) {
        this.lines = lines;
        this.dropped = new boolean[lines.count()];
        List<String> named = new ArrayList<>(0);   // Connection's tokens, all read before any line goes
        for (int line = lines.find("connection", 0); line >= 0; line = lines.find("connection", line + 1)) {
            for (String token : lines.value(line).split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !name.equalsIgnoreCase("transfer-encoding")) {
                    named.add(name);
                }
            }
        }
        named.forEach(this::remove);
        HopByHop.NAMES.forEach(this::remove);
    }

    /** The first value of {@code name} still in the head, or null. */
    @Override
    public String get(String name) {
        for (int line = lines.find(name, 0); line >= 0; line = lines.find(name, line + 1)) {
            if (!dropped[line]) {
                return lines.value(line);
            }
        }
        int set = setIndex(name);
        return set < 0 ? null : setValues.get(set);
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    /** As Netty's headers set a field: every line of that name goes, and the new one comes last. */
    @Override
    public void set(String name, String value) {
        remove(name);
        setNames.add(name);
        setValues.add(value);
    }

    private void remove(String name) {
        for (int line = lines.find(name, 0); line >= 0; line = lines.find(name, line + 1)) {
            dropped[line] = true;
        }
        int set = setIndex(name);
        if (set >= 0) {
            setNames.remove(set);
            setValues.remove(set);
        }
    }

    private int setIndex(String name) {
        for (int i = 0; i < setNames.size(); i++) {
            if (setNames.get(i).equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The request line for {@code method} and {@code target}, then the lines kept and set, each ended by CRLF. */
    byte[] toBytes(String method, String target) {
        byte[] targetBytes = target.getBytes(StandardCharsets.UTF_8);   // as Netty's encoder writes a target
        int length = method.length() + 1 + targetBytes.length + HTTP_1_1_CRLF.length;
        for (int line = 0; line < lines.count(); line++) {
            length += dropped[line] ? 0 : lines.lineLength(line) + 2;
        }
        for (int i = 0; i < setNames.size(); i++) {
            length += setNames.get(i).length() + 2 + setValues.get(i).length() + 2;
        }
        byte[] out = new byte[length];
        int at = ascii(method, out, 0);
        out[at++] = ' ';
        System.arraycopy(targetBytes, 0, out, at, targetBytes.length);
        at += targetBytes.length;
        System.arraycopy(HTTP_1_1_CRLF, 0, out, at, HTTP_1_1_CRLF.length);
        at += HTTP_1_1_CRLF.length;
        for (int line = 0; line < lines.count(); line++) {
            if (!dropped[line]) {
                at = crlf(out, lines.copyLine(line, out, at));
            }
        }
        for (int i = 0; i < setNames.size(); i++) {
            at = ascii(setNames.get(i), out, at);
            out[at++] = ':';
            out[at++] = ' ';
            at = crlf(out, ascii(setValues.get(i), out, at));
        }
        return out;
    }

    private static int crlf(byte[] out, int at) {
        out[at] = '\r';
        out[at + 1] = '\n';
        return at + 2;
    }

    /** As Netty's encoder writes a header: one byte per char, '?' for what is not Latin-1. */
    private static int ascii(String s, byte[] out, int at) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out[at++] = (byte) (c > 0xff ? '?' : c);
        }
        return at;
    }
}
