package dev.platemate.gateway.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the usage of an OpenAI Realtime session from the upstream's events, without holding them back: a
 * {@code response.done} carries {@code response.usage} ({@code input_tokens}, {@code output_tokens},
 * {@code input_token_details.cached_tokens}); the model is the handshake's {@code model=} until
 * {@code session.created} or {@code session.updated} names it. Only text messages of one frame are read, and only
 * those whose type shows within their first bytes are kept past them, so other events (audio deltas) cost a copy
 * of their first bytes and a short scan.
 * Counts are clamped. One per session; event-loop only.
 */
final class RealtimeUsage {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How far into a message its type is looked for: events put it first, after at most an event_id. */
    private static final int TYPE_WITHIN = 160;
    private static final byte[][] WANTED = {ascii("\"response.done\""), ascii("\"session.created\""),
            ascii("\"session.updated\"")};

    private String model;
    private ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private boolean decided;
    private long prompt;
    private long completion;
    private long cached;

    /** @param model what the handshake's query named, or null */
    RealtimeUsage(String model) {
        this.model = model;
    }

    /**
     * A piece of the payload of an upstream text message of one frame (not consumed): kept while its first bytes
     * may name a type that matters, and to its end when they do.
     */
    void feed(ByteBuf piece) {
        if (captured == null) {
            return;   // its first bytes showed it does not matter
        }
        try {
            piece.getBytes(piece.readerIndex(), captured, piece.readableBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
        if (!decided && captured.size() >= TYPE_WITHIN) {
            decided = true;
            if (!mayMatter(captured.toByteArray())) {
                captured = null;
            }
        }
    }

    /** The message fed since the last end is whole: the usage its response reports, or null. */
    TokenUsage end() {
        ByteArrayOutputStream message = captured;
        boolean checked = decided;
        captured = new ByteArrayOutputStream();
        decided = false;
        if (message == null) {
            return null;
        }
        byte[] text = message.toByteArray();
        return checked || mayMatter(text) ? read(text) : null;
    }

    private TokenUsage read(byte[] text) {
        JsonNode event;
        try {
            event = JSON.readTree(text);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        String type = event == null ? "" : event.path("type").asText("");
        if (type.startsWith("session.")) {
            String named = event.path("session").path("model").asText("");
            if (!named.isEmpty()) {
                model = named.length() > 80 ? named.substring(0, 80) : named;
            }
            return null;
        }
        JsonNode usage = event.path("response").path("usage");
        if (!type.equals("response.done") || !usage.isObject()) {
            return null;
        }
        long in = count(usage.path("input_tokens"));
        long out = count(usage.path("output_tokens"));
        long fromCache = Math.min(in, count(usage.path("input_token_details").path("cached_tokens")));
        prompt += in;
        completion += out;
        cached += fromCache;
        return new TokenUsage(model(), in, out, fromCache, false);
    }

    /** All the session's responses together, or {@link TokenUsage#NONE} when none reported usage. */
    TokenUsage total() {
        return prompt + completion == 0 ? TokenUsage.NONE : new TokenUsage(model(), prompt, completion, cached, false);
    }

    private String model() {
        return model == null || model.isEmpty() ? "unknown" : model;
    }

    private static boolean mayMatter(byte[] text) {
        int length = Math.min(text.length, TYPE_WITHIN);
        for (byte[] wanted : WANTED) {
            if (indexOf(text, length, wanted) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] in, int length, byte[] wanted) {
        outer:
        for (int i = 0; i <= length - wanted.length; i++) {
            for (int j = 0; j < wanted.length; j++) {
                if (in[i + j] != wanted[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A token count from the wire: a whole number, clamped to 0 and 2^40; 0 when absent. */
    private static long count(JsonNode value) {
        return value.isIntegralNumber() ? Math.max(0, Math.min(value.asLong(), 1L << 40)) : 0;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
