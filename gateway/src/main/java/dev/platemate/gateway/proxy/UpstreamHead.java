package dev.platemate.gateway.proxy;

import dev.platemate.gateway.wire.HeadBytes;
import dev.platemate.gateway.wire.HeadLines;
import dev.platemate.gateway.wire.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.util.CharsetUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The upstream head made from the client's own header lines: what {@link HeaderRewriter} does to Netty's headers,
 * done to the lines, in the same order and the same bytes as Netty's encoder would write the rewritten headers.
 * Lines the rewrite keeps are copied; those it removes or replaces are left out, and the ones it sets follow, in
 * the order it sets them. Made on the event loop; written by the upstream's encoder, as often as the request is
 * sent, and not changed after the rewrite.
 */
final class UpstreamHead implements HeaderRewriter.Fields, HeadBytes {

    private static final byte[] HTTP_1_1_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HeadLines lines;
    private final String method;
    private final String target;
    private final boolean[] dropped;
    private String[] set;            // the fields set: name, value, name, value...
    private int setCount;

    /** @param sets how many fields the rewrite will set, at most (more only cost a copy) */
    UpstreamHead(HeadLines lines, String method, String target, int sets) {
        this.lines = lines;
        this.method = method;
        this.target = target;
        this.dropped = new boolean[lines.count()];
        this.set = new String[2 * sets];
        for (int line = lines.find("connection", 0); line >= 0; line = lines.find("connection", line + 1)) {
            for (String token : lines.value(line).split(",")) {   // all are read before any line goes
                String name = token.trim();
                if (HopByHop.goesWhenNamed(name)) {
                    dropNamed(name);
                }
            }
        }
        for (int i = 0; i < HopByHop.NAMES.size(); i++) {
            dropNamed(HopByHop.NAMES.get(i));
        }
    }

    /** The first value of {@code name} still in the head, or null. */
    @Override
    public String get(String name) {
        for (int line = lines.find(name, 0); line >= 0; line = lines.find(name, line + 1)) {
            if (!dropped[line]) {
                return lines.value(line);
            }
        }
        int at = setIndex(name);
        return at < 0 ? null : set[at + 1];
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    /** As Netty's headers set a field: every line of that name goes, and the new one comes last. */
    @Override
    public void set(String name, String value) {
        remove(name);
        if (2 * setCount == set.length) {
            set = Arrays.copyOf(set, 2 * set.length + 2);
        }
        set[2 * setCount] = name;
        set[2 * setCount + 1] = value;
        setCount++;
    }

    private void remove(String name) {
        dropNamed(name);
        int at = setIndex(name);
        if (at >= 0) {
            System.arraycopy(set, at + 2, set, at, 2 * setCount - at - 2);
            setCount--;
        }
    }

    private void dropNamed(String name) {
        for (int line = lines.find(name, 0); line >= 0; line = lines.find(name, line + 1)) {
            dropped[line] = true;
        }
    }

    private int setIndex(String name) {
        for (int i = 0; i < 2 * setCount; i += 2) {
            if (set[i].equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The request line, then the lines kept and set, as Netty's encoder writes them (a target in UTF-8). */
    @Override
    public void writeTo(ByteBuf out) {
        out.writeCharSequence(method, CharsetUtil.US_ASCII);
        out.writeByte(' ');
        out.writeCharSequence(target, StandardCharsets.UTF_8);
        out.writeBytes(HTTP_1_1_CRLF);
        for (int line = 0; line < lines.count(); line++) {
            if (!dropped[line]) {
                lines.writeLine(line, out);
            }
        }
        for (int i = 0; i < 2 * setCount; i += 2) {
            out.writeCharSequence(set[i], CharsetUtil.US_ASCII);   // as Netty's encoder writes a header
            out.writeShort(HeadLines.COLON_SPACE);
            out.writeCharSequence(set[i + 1], CharsetUtil.US_ASCII);
            out.writeShort(HeadLines.CRLF);
        }
    }
}
