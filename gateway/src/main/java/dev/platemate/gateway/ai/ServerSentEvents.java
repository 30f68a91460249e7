package dev.platemate.gateway.ai;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a server-sent event stream into whole events as its bytes arrive, however the network split them: an
 * event ends at a blank line (LF LF, CR LF CR LF or CR CR). What is not a whole event yet waits for the rest; it
 * is at most one event, so a stream is never held whole. Not thread-safe: one per response.
 */
final class ServerSentEvents {

    /** An event's bytes, as they came (its blank line included), and the data of its data: lines. */
    record Event(byte[] raw, String data) {
    }

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** The events {@code bytes} completes, in order. */
    List<Event> feed(byte[] bytes) {
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        List<Event> events = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            int end = blankLineEnd(all, i);
            if (end > 0) {
                byte[] raw = java.util.Arrays.copyOfRange(all, start, end);
                events.add(new Event(raw, data(raw)));
                start = end;
                i = end - 1;
            }
        }
        pending.reset();
        pending.write(all, start, all.length - start);
        return events;
    }

    /** What is left that is not a whole event (a stream cut short ends with it). */
    byte[] rest() {
        byte[] rest = pending.toByteArray();
        pending.reset();
        return rest;
    }

    /** The end of a blank line starting at {@code i} (just past it), or 0. */
    private static int blankLineEnd(byte[] b, int i) {
        if (b[i] == '\n' && i + 1 < b.length && b[i + 1] == '\n') {
            return i + 2;
        }
        if (b[i] == '\r' && i + 3 < b.length && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
            return i + 4;
        }
        if (b[i] == '\r' && i + 1 < b.length && b[i + 1] == '\r') {
            return i + 2;
        }
        return 0;
    }

    /** The event's data: its data: lines' values joined by LF (the SSE rule), or "" when it has none. */
    private static String data(byte[] raw) {
        StringBuilder data = new StringBuilder();
        boolean first = true;
        for (String line : new String(raw, StandardCharsets.UTF_8).split("\r\n|\r|\n")) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (!first) {
                    data.append('\n');
                }
                data.append(value.startsWith(" ") ? value.substring(1) : value);
                first = false;
            }
        }
        return data.toString();
    }
}
