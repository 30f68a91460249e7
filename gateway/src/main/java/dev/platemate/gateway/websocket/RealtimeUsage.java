package dev.platemate.gateway.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
    private static final byte QUOTE = '"';

    private static final int UNDECIDED = 0;
    private static final int KEEP = 1;
    private static final int SKIP = 2;

    private String model;
    /** A held message's buffer above this is not kept for the next one. */
    private static final int KEEP_BUFFER = 64 * 1024;

    private ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private long length;
    private int state = SKIP;
    private long prompt;
    private long completion;
    private long cached;

    /** @param model what the handshake's query named, or null */
    RealtimeUsage(String model) {
        this.model = model;
    }

    /** An upstream text message of one frame, {@code length} bytes long, begins. */
    void begin(long length) {
        this.length = length;
        captured.reset();
        state = UNDECIDED;
    }

    /**
     * A piece of its payload (not consumed): kept while its first bytes may name a type that matters, and to its
     * end when they do. First bytes that arrive together are looked at where they lie.
     */
    void feed(ByteBuf piece) {
        int first = (int) Math.min(TYPE_WITHIN, length);
        if (state == UNDECIDED && captured.size() == 0 && piece.readableBytes() >= first) {
            state = mayMatter(piece, first) ? KEEP : SKIP;
        }
        if (state == SKIP) {
            return;
        }
        try {
            piece.getBytes(piece.readerIndex(), captured, piece.readableBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
        if (state == UNDECIDED && captured.size() >= first) {
            state = mayMatter(Unpooled.wrappedBuffer(captured.toByteArray()), first) ? KEEP : SKIP;
        }
    }

    /** The message is whole: the usage its response reports, or null. */
    TokenUsage end() {
        try {
            return state == KEEP ? read(captured.toByteArray()) : null;
        } finally {
            captured = captured.size() > KEEP_BUFFER ? new ByteArrayOutputStream() : captured;
            captured.reset();
            state = SKIP;
        }
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

    /**
     * Whether one of the wanted types shows, quoted, within the first {@code length} bytes: each quote is found at
     * once (a word at a time) and only the bytes after it are compared, in one pass whatever is wanted.
     */
    private static boolean mayMatter(ByteBuf text, int length) {
        int end = text.readerIndex() + length;
        for (int quote = text.indexOf(text.readerIndex(), end, QUOTE); quote >= 0;
             quote = text.indexOf(quote + 1, end, QUOTE)) {
            for (byte[] wanted : WANTED) {
                if (at(text, quote, end, wanted)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code wanted} lies at {@code from}, whole before {@code end}. */
    private static boolean at(ByteBuf in, int from, int end, byte[] wanted) {
        if (end - from < wanted.length) {
            return false;
        }
        for (int j = 0; j < wanted.length; j++) {
            if (in.getByte(from + j) != wanted[j]) {
                return false;
            }
        }
        return true;
    }

    /** A token count from the wire: a whole number, clamped to 0 and 2^40; 0 when absent. */
    private static long count(JsonNode value) {
        return value.isIntegralNumber() ? Math.max(0, Math.min(value.asLong(), 1L << 40)) : 0;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
