package dev.platemate.gateway.server;

import dev.platemate.gateway.wire.HeadLines;
import dev.platemate.gateway.wire.RawHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Iterator;
import java.util.Map;

/**
 * Header names that are not Content-Length or Transfer-Encoding but read as one to a server that takes '_' for
 * '-' (CGI and WSGI do, and so many Python servers): {@code Content_Length}, {@code Transfer__Encoding},
 * {@code content--length}. Such a server would frame a body the gateway never framed and swallow the next request
 * on the pooled connection, so a request carrying one is refused. Stateless.
 */
final class FramingNames {

    private static final String CONTENT_LENGTH = "content-length";
    private static final String TRANSFER_ENCODING = "transfer-encoding";

    private FramingNames() {
    }

    /** The first look-alike name among {@code headers}, or null. */
    static CharSequence lookAlike(HttpHeaders headers) {
        HeadLines lines = headers instanceof RawHeaders raw ? raw.unchangedLines() : null;
        if (lines != null) {   // a head read in place: only names long enough are looked at
            for (int line = 0; line < lines.count(); line++) {
                if (lines.nameLength(line) >= CONTENT_LENGTH.length() && isLookAlike(lines.nameView(line))) {
                    return lines.name(line);
                }
            }
            return null;
        }
        Iterator<Map.Entry<CharSequence, CharSequence>> all = headers.iteratorCharSequence();
        while (all.hasNext()) {
            CharSequence name = all.next().getKey();
            if (isLookAlike(name)) {
                return name;
            }
        }
        return null;
    }

    static boolean isLookAlike(CharSequence name) {
        if (name.length() < CONTENT_LENGTH.length()) {
            return false;
        }
        char first = Character.toLowerCase(name.charAt(0));
        if (first != 'c' && first != 't') {
            return false; // most names: one comparison
        }
        String target = first == 'c' ? CONTENT_LENGTH : TRANSFER_ENCODING;
        int at = 0;
        boolean exact = true;
        char previous = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = Character.toLowerCase(name.charAt(i));
            if (c == '_') {
                exact = false;
                c = '-';
            }
            if (c == '-' && previous == '-') {
                exact = false;
                continue; // a run of separators reads as one
            }
            previous = c;
            if (at == target.length() || target.charAt(at) != c) {
                return false;
            }
            at++;
        }
        return at == target.length() && !exact;
    }
}
