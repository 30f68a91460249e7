package dev.platemate.gateway.server;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A request body held whole by a stage that may send it more than once (a fallback, a resend with a new token):
 * each attempt gets its own copies, and what is held is released once, when no attempt needs it any more.
 * Event-loop only.
 */
public final class HeldBody {

    private final List<HttpContent> parts = new ArrayList<>();

    /** Holds {@code part} (owned now). @return whether it was the body's last */
    public boolean hold(HttpContent part) {
        parts.add(part);
        return part instanceof LastHttpContent;
    }

    /** What is held, still held (read, not taken). */
    public List<HttpContent> parts() {
        return parts;
    }

    /** A copy of every part, for one attempt: its to release or forward. */
    public List<HttpContent> copies() {
        return parts.stream().map(HttpContent::retainedDuplicate).toList();
    }

    /** Releases what is held; safe to call again. */
    public void release() {
        parts.forEach(HttpContent::release);
        parts.clear();
    }

    /**
     * Opens an attempt's exchange, tells {@code opened} of it (so that it is told if the client leaves), then gives
     * it {@code body}; whatever it never got, because opening or a part threw, is released.
     */
    public static void openWith(Supplier<Exchange> opener, Consumer<Exchange> opened, List<HttpContent> body) {
        int handed = 0;
        try {
            Exchange exchange = opener.get();
            opened.accept(exchange);
            for (HttpContent part : body) {
                handed++;
                exchange.onRequestContent(part);
            }
        } finally {
            body.subList(handed, body.size()).forEach(HttpContent::release);
        }
    }
}
