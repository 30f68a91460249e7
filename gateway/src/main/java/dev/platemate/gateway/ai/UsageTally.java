package dev.platemate.gateway.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.server.TokenUsage;
import java.io.IOException;

/**
 * What one AI response has shown of its usage so far: the provider's own {@code usage} (chat completions,
 * completions, embeddings: {@code prompt_tokens}, {@code completion_tokens},
 * {@code prompt_tokens_details.cached_tokens}; the Responses API: {@code input_tokens}, {@code output_tokens},
 * {@code input_tokens_details.cached_tokens}), the model it names, and the text it generated, for an estimate when
 * no usage comes. Numbers are clamped. Not thread-safe: one per response.
 */
final class UsageTally {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AiRequest request;
    private String model;
    private long prompt = -1;
    private long completion = -1;
    private long cached;
    private long generatedChars;

    UsageTally(AiRequest request) {
        this.request = request;
        this.model = request.model;
    }

    /** One JSON document (a whole answer, or one stream chunk). @return it, parsed, or null if it is not JSON */
    JsonNode read(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            see(node);
            return node;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The last {@code "usage": {...}} in the tail of an answer too large to read whole (the whole cannot be parsed;
     * the usage object alone can).
     */
    void readUsageIn(String tail) {
        int at = tail.lastIndexOf("\"usage\"");
        int open = at < 0 ? -1 : tail.indexOf('{', at);
        if (open < 0) {
            return;
        }
        try {
            JsonNode usage = JSON.readTree(tail.substring(open));   // the first value; what follows is ignored
            see(JSON.createObjectNode().set("usage", usage));
        } catch (IOException | RuntimeException e) {
            // no usage to be had: an estimate then
        }
    }

    private void see(JsonNode node) {
        if (node == null || !node.isObject()) {
            return;
        }
        if (node.path("response").isObject()) {
            see(node.get("response"));   // the Responses API's stream: its events carry the response
        }
        JsonNode delta = node.get("delta");
        if (delta != null && delta.isTextual()) {
            generatedChars += delta.asText().length();   // a Responses API text delta
        }
        JsonNode named = node.get("model");
        if (named != null && named.isTextual() && !named.asText().isEmpty()) {
            model = named.asText();
        }
        JsonNode usage = node.get("usage");
        if (usage != null && usage.isObject()) {
            prompt = count(usage, "prompt_tokens", "input_tokens");
            completion = Math.max(0, count(usage, "completion_tokens", "output_tokens"));
            cached = Math.max(0, Math.max(count(usage.path("prompt_tokens_details"), "cached_tokens", null),
                    count(usage.path("input_tokens_details"), "cached_tokens", null)));
        }
        for (JsonNode choice : node.path("choices")) {
            generatedChars += choice.path("delta").path("content").asText("").length()
                    + choice.path("message").path("content").asText("").length()
                    + choice.path("text").asText("").length();
        }
        JsonNode output = node.path("output_text");   // the Responses API's convenience field
        generatedChars += output.isTextual() ? output.asText().length() : 0;
    }

    /** A count, clamped to 0 and 2^40 (-1 when absent). */
    private static long count(JsonNode usage, String name, String other) {
        JsonNode value = usage.get(name);
        if ((value == null || !value.isNumber()) && other != null) {
            value = usage.get(other);
        }
        return value == null || !value.isNumber() ? -1 : Math.max(0, Math.min(value.asLong(), 1L << 40));
    }

    /** Whether the provider's own usage has been seen. */
    boolean reported() {
        return prompt >= 0;
    }

    /** The usage to book: the provider's, or (when it gave none) estimated from the request and what was seen. */
    TokenUsage usage() {
        if (reported()) {
            return new TokenUsage(model(), prompt, completion, cached, false);
        }
        return new TokenUsage(model(), request.estimatedPromptTokens(), (generatedChars + 3) / 4, 0, true);
    }

    /** Nothing to book but the request itself: an error answer, one that never went upstream. */
    TokenUsage nothingSpent() {
        return new TokenUsage(model(), 0, 0, 0, false);
    }

    /** A 200 answer that is not JSON: the request counts, under the model {@code unknown}, with no tokens. */
    TokenUsage unknownModel() {
        return new TokenUsage("unknown", 0, 0, 0, false);
    }

    /** The answer's model, else the request's, at most 80 characters (a client chooses it); unknown for none. */
    private String model() {
        String named = model == null || model.isEmpty() || model.equals("-") ? "unknown" : model;
        return named.length() > 80 ? named.substring(0, 80) : named;
    }
}
