package dev.platemate.gateway.ai;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a server-sent event stream into whole events as its bytes arrive, however the network split them: an
 * event ends at an empty line, that is, a line end (CR LF, LF or CR) right after another. What is not a whole event
 * yet waits for the rest, and is scanned once: each byte is looked at once however many parts an event came in.
 * An event larger than {@link #MAX_EVENT} is not waited for: {@link #feed} then says so, and the caller passes the
 * stream on as it comes. Not thread-safe: one per response.
 */
final class ServerSentEvents {

    /** The most one event may hold before the stream is no longer read by events. */
    static final int MAX_EVENT = 1024 * 1024;

    /** An event's bytes, as they came (its empty line included). */
    record Event(byte[] raw) {

        /** Its data: the values of its {@code data:} lines joined by LF (the SSE rule); "" when it has none. */
        String data() {
            StringBuilder data = new StringBuilder();
            boolean first = true;
            for (String line : lines(new String(raw, StandardCharsets.UTF_8))) {
                if (line.startsWith("data:")) {
                    if (!first) {
                        data.append('\n');
                    }
                    data.append(line, line.startsWith("data: ") ? 6 : 5, line.length());
                    first = false;
                }
            }
            return data.toString();
        }
    }

    private byte[] pending = new byte[256];
    private int length;
    /** Where the scan for an event's end goes on: everything before it has been looked at. */
    private int scanned;
    /** Where the current event began. */
    private int start;
    private boolean overflowed;
    private boolean ended;

    /**
     * The events {@code bytes} completes, in order; null once an event has outgrown {@link #MAX_EVENT}.
     *
     * @param last whether these are the stream's last bytes (a CR at the very end is then a line end)
     */
    List<Event> feed(byte[] bytes, boolean last) {
        return feed(Unpooled.wrappedBuffer(bytes), last);
    }

    /** As {@link #feed(byte[], boolean)}, reading {@code bytes} (not consumed) straight into what is held. */
    List<Event> feed(ByteBuf bytes, boolean last) {
        if (overflowed) {
            return null;
        }
        ended = last;
        append(bytes);
        List<Event> events = new ArrayList<>(2);
        while (scanned < length) {
            int end = emptyLineEnd(scanned);
            if (end == -1) {
                break;   // a line end that the next bytes finish
            }
            if (end > 0) {
                events.add(new Event(Arrays.copyOfRange(pending, start, end)));
                start = end;
                scanned = end;
            } else {
                scanned++;
            }
        }
        compact();
        if (length > MAX_EVENT) {
            overflowed = true;
        }
        return events;
    }

    /** What is held that is not a whole event yet (all of it, once it overflowed); the holder is empty after. */
    byte[] rest() {
        byte[] rest = Arrays.copyOfRange(pending, start, length);
        length = 0;
        start = 0;
        scanned = 0;
        return rest;
    }

    private void append(ByteBuf bytes) {
        int n = bytes.readableBytes();
        if (length + n > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + n));
        }
        bytes.getBytes(bytes.readerIndex(), pending, length, n);
        length += n;
    }

    /** Drops what whole events used, keeping the current event at the front. */
    private void compact() {
        if (start > 0) {
            System.arraycopy(pending, start, pending, 0, length - start);
            length -= start;
            scanned -= start;
            start = 0;
        }
    }

    /**
     * At {@code i}: the end of an empty line (just past its two line ends), 0 when none ends here, or -1 when the
     * bytes so far cannot tell (a CR last, before the stream's end: it may be the start of CR LF).
     */
    private int emptyLineEnd(int i) {
        int first = lineEnd(i);
        if (first <= 0) {
            return first;
        }
        int second = lineEnd(i + first);
        return second <= 0 ? second : i + first + second;
    }

    /** The length of a line end at {@code i}: 2 for CR LF, 1 for LF or CR, 0 for none, -1 when it cannot tell. */
    private int lineEnd(int i) {
        if (i >= length) {
            return -1;
        }
        if (pending[i] == '\n') {
            return 1;
        }
        if (pending[i] != '\r') {
            return 0;
        }
        if (i + 1 >= length) {
            return ended ? 1 : -1;
        }
        return pending[i + 1] == '\n' ? 2 : 1;
    }

    /** The lines of an event's text, without their line ends. */
    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                lines.add(text.substring(from, i));
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                from = i + 1;
            }
        }
        if (from < text.length()) {
            lines.add(text.substring(from));
        }
        return lines;
    }
}
