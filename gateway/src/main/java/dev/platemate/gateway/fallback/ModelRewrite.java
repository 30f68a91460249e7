package dev.platemate.gateway.fallback;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.platemate.gateway.config.FallbackConfig;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/** A JSON body's {@code model}, as a fallback upstream names it ({@code model_map}). */
final class ModelRewrite {

    /** Numbers kept exactly as they were written (a float is not passed through a double). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

    private ModelRewrite() {
    }

    /**
     * @return the body with its model mapped for {@code upstream}, or null when it stays as it is: nothing mapped
     *     for the upstream, a body that is not a JSON object (or is encoded), or a model the map does not name
     */
    static byte[] rewritten(HttpHeaders head, List<HttpContent> body, FallbackConfig config, String upstream) {
        if (!config.modelMap().containsKey(upstream) || head.contains(HttpHeaderNames.CONTENT_ENCODING)
                || !head.get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT).contains("json")) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        body.forEach(part -> bytes.writeBytes(ByteBufUtil.getBytes(part.content())));
        try {
            JsonNode tree = JSON.readTree(bytes.toByteArray());
            if (!(tree instanceof ObjectNode object) || !object.path("model").isTextual()) {
                return null;
            }
            String model = object.get("model").asText();
            String mapped = config.modelFor(upstream, model);
            if (mapped.equals(model)) {
                return null;
            }
            object.put("model", mapped);
            return JSON.writeValueAsBytes(object);
        } catch (IOException e) {
            return null;   // not JSON: the upstream answers it as it would
        }
    }
}
