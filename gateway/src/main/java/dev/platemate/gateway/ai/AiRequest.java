package dev.platemate.gateway.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * What an OpenAI-compatible request body says about its usage: the model, whether it streams, whether it asked
 * for usage in the stream ({@code stream_options.include_usage}: true, false, or not said), and its size, for an
 * estimate of its prompt. A body that is not a JSON object is {@link #UNKNOWN}. Immutable.
 */
final class AiRequest {

    static final AiRequest UNKNOWN = new AiRequest(null, "-", false, null, 0);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode body;
    final String model;
    final boolean stream;
    /** null when the request did not say. */
    final Boolean includeUsage;
    final int bytes;

    private AiRequest(ObjectNode body, String model, boolean stream, Boolean includeUsage, int bytes) {
        this.body = body;
        this.model = model;
        this.stream = stream;
        this.includeUsage = includeUsage;
        this.bytes = bytes;
    }

    static AiRequest read(byte[] bytes) {
        try {
            if (!(JSON.readTree(bytes) instanceof ObjectNode body)) {
                return UNKNOWN;
            }
            JsonNode model = body.get("model");
            JsonNode include = body.path("stream_options").get("include_usage");
            return new AiRequest(body, model != null && model.isTextual() ? model.asText() : "-",
                    body.path("stream").asBoolean(false), include != null && include.isBoolean()
                    ? include.asBoolean() : null, bytes.length);
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    /** Whether the gateway should ask for the usage chunk itself: a stream that did not say. */
    boolean wantsUsageAdded() {
        return body != null && stream && includeUsage == null && (body.get("stream_options") == null
                || body.get("stream_options").isObject());
    }

    /** The body, asking for the usage chunk: {@code stream_options.include_usage: true}, all else as it was. */
    byte[] withUsageAsked() {
        ObjectNode copy = body.deepCopy();
        JsonNode options = copy.get("stream_options");
        (options instanceof ObjectNode object ? object : copy.putObject("stream_options"))
                .put("include_usage", true);
        try {
            return JSON.writeValueAsBytes(copy);
        } catch (IOException e) {
            throw new IllegalStateException("a tree read from JSON writes back", e);
        }
    }

    /** The prompt's size in tokens, estimated: a token is about four bytes of JSON. */
    long estimatedPromptTokens() {
        return (bytes + 3) / 4;
    }
}
