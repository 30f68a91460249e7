package dev.platemate.gateway.ai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What an OpenAI-compatible request body says about its usage: the model, whether it streams, whether it said
 * anything about usage in the stream ({@code stream_options.include_usage}), and its size, for an estimate of its
 * prompt. A body that is not a JSON object is {@link #UNKNOWN}. Immutable.
 */
final class AiRequest {

    static final AiRequest UNKNOWN = new AiRequest(null, "-", false, true, 0, 0);
    /** The completion a request is assumed to ask for when it sets no maximum of its own. */
    static final long DEFAULT_COMPLETION = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final byte[] body;
    final String model;
    final boolean stream;
    /** Whether {@code stream_options.include_usage} is there at all, whatever its value. */
    final boolean saidUsage;
    final int bytes;
    /** The completion it allows ({@code max_tokens}, {@code max_completion_tokens}, {@code max_output_tokens}). */
    final long maxCompletion;

    private AiRequest(byte[] body, String model, boolean stream, boolean saidUsage, int bytes, long maxCompletion) {
        this.body = body;
        this.model = model;
        this.stream = stream;
        this.saidUsage = saidUsage;
        this.bytes = bytes;
        this.maxCompletion = maxCompletion;
    }

    static AiRequest read(byte[] bytes) {
        try {
            if (!(JSON.readTree(bytes) instanceof ObjectNode body)) {
                return UNKNOWN;
            }
            JsonNode model = body.get("model");
            JsonNode options = body.get("stream_options");
            boolean said = options != null && (!options.isObject() || options.has("include_usage"));
            long max = DEFAULT_COMPLETION;
            for (String name : new String[] {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
                if (body.path(name).canConvertToLong() && body.path(name).asLong() > 0) {
                    max = Math.min(body.path(name).asLong(), 1L << 40);
                    break;
                }
            }
            return new AiRequest(bytes, model != null && model.isTextual() ? model.asText() : "-",
                    body.path("stream").asBoolean(false), said, bytes.length, max);
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    /**
     * Whether the gateway should ask for the usage chunk itself: a chat completion or completion stream that said
     * nothing of it (other APIs, such as the Responses API, report usage in their streams anyway, and may refuse
     * the option).
     */
    boolean wantsUsageAdded(String path) {
        return body != null && stream && !saidUsage
                && (path.endsWith("/chat/completions") || path.endsWith("/completions"));
    }

    /**
     * The body asking for the usage chunk: {@code "include_usage":true} spliced into its {@code stream_options}, or
     * a {@code stream_options} spliced in first; every other byte stays as the client sent it (no number, key
     * order or duplicate is touched by a round trip through a parser).
     */
    byte[] withUsageAsked() {
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            parser.nextToken();   // the object's {
            int top = (int) parser.currentTokenLocation().getByteOffset();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("stream_options") && value == JsonToken.START_OBJECT) {
                    int at = (int) parser.currentTokenLocation().getByteOffset();
                    boolean empty = parser.nextToken() == JsonToken.END_OBJECT;
                    return splice(at, "\"include_usage\":true" + (empty ? "" : ","));
                }
                parser.skipChildren();
            }
            return splice(top, "\"stream_options\":{\"include_usage\":true},");
        } catch (IOException e) {
            throw new IllegalStateException("a body read as JSON reads again", e);
        }
    }

    /** The body with {@code text} right after the {@code {} at {@code at}. */
    private byte[] splice(int at, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + text.length());
        out.write(body, 0, at + 1);
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        out.write(body, at + 1, body.length - at - 1);
        return out.toByteArray();
    }

    /** What admission reserves: the prompt's estimate and the completion it allows. */
    long estimatedTokens() {
        return estimatedPromptTokens() + maxCompletion;
    }

    /** The prompt's size in tokens, estimated: a token is about four bytes of JSON. */
    long estimatedPromptTokens() {
        return (bytes + 3) / 4;
    }
}
