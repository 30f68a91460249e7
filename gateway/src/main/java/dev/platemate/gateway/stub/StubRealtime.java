package dev.platemate.gateway.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The stand-in's {@code /v1/realtime} WebSocket: enough of OpenAI's Realtime protocol (its beta event names) for
 * tests and demos, deterministic, text only. It opens with {@code session.created} (the model of {@code ?model=});
 * {@code session.update} gets {@code session.updated}; {@code conversation.item.create} with {@code input_text}
 * parts gets {@code conversation.item.created}; {@code response.create} answers "echo: " and the last input, word
 * by word ({@code response.created}, {@code response.output_item.added}, {@code response.text.delta}...,
 * {@code response.text.done}, {@code response.output_item.done}, {@code response.done} with {@code usage}: a token
 * a word); anything else gets an {@code error} event. Pings get pongs, a close its answer. Per connection.
 */
final class StubRealtime extends SimpleChannelInboundHandler<WebSocketFrame> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String model;
    private final List<String> inputs = new ArrayList<>();
    private int events;
    private int items;
    private int responses;
    private long inputTokens;
    private String instructions = "";

    private StubRealtime(String model) {
        this.model = model;
    }

    /** Switches the connection to a Realtime session, answering the handshake in {@code request}. */
    static void accept(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String model = uri.parameters().getOrDefault("model", List.of("gpt-4o-realtime-preview")).get(0)
                .replaceAll("[^\\w.:-]", "");
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory("ws://"
                + request.headers().get(HttpHeaderNames.HOST) + uri.path(), null, false, 1 << 20)
                .newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        StubRealtime session = new StubRealtime(model);
        ctx.pipeline().addLast(session);
        handshaker.handshake(ctx.channel(), request).addListener(done -> {
            if (done.isSuccess()) {
                session.send(ctx, session.event("session.created").set("session", session.session()));
            }
        });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
        } else if (frame instanceof CloseWebSocketFrame close) {
            ctx.writeAndFlush(close.statusCode() < 0 ? new CloseWebSocketFrame()
                    : new CloseWebSocketFrame(close.statusCode(), close.reasonText()))
                    .addListener(ChannelFutureListener.CLOSE);
        } else if (frame instanceof TextWebSocketFrame text) {
            handle(ctx, text.text());
        }
    }

    private void handle(ChannelHandlerContext ctx, String text) {
        JsonNode event;
        try {
            event = JSON.readTree(text);
        } catch (Exception e) {
            error(ctx, "invalid_json", "the event is not JSON");
            return;
        }
        switch (event.path("type").asText("")) {
            case "session.update" -> {
                instructions = event.path("session").path("instructions").asText(instructions);
                send(ctx, event("session.updated").set("session", session()));
            }
            case "conversation.item.create" -> {
                StringBuilder said = new StringBuilder();
                for (JsonNode part : event.path("item").path("content")) {
                    said.append(said.length() == 0 ? "" : " ").append(part.path("text").asText(""));
                }
                inputs.add(said.toString());
                inputTokens += words(said.toString()).size();
                ObjectNode item = JSON.createObjectNode().put("id", "item_" + ++items).put("object",
                        "realtime.item").put("type", "message").put("role", "user").put("status", "completed");
                item.set("content", event.path("item").path("content"));
                send(ctx, event("conversation.item.created").set("item", item));
            }
            case "response.create" -> respond(ctx);
            default -> error(ctx, "unknown_event", "the stub does not know " + event.path("type").asText("?"));
        }
    }

    private void respond(ChannelHandlerContext ctx) {
        String id = "resp_" + ++responses;
        String itemId = "item_" + ++items;
        List<String> words = words("echo: " + (inputs.isEmpty() ? "" : inputs.get(inputs.size() - 1)));
        ObjectNode response = JSON.createObjectNode().put("id", id).put("object", "realtime.response")
                .put("status", "in_progress");
        response.putArray("output");
        send(ctx, event("response.created").set("response", response.deepCopy()));
        ObjectNode item = JSON.createObjectNode().put("id", itemId).put("object", "realtime.item")
                .put("type", "message").put("role", "assistant").put("status", "in_progress");
        item.putArray("content");
        send(ctx, event("response.output_item.added").put("response_id", id).put("output_index", 0)
                .set("item", item.deepCopy()));
        for (int i = 0; i < words.size(); i++) {
            send(ctx, event("response.text.delta").put("response_id", id).put("item_id", itemId)
                    .put("output_index", 0).put("content_index", 0).put("delta", (i == 0 ? "" : " ") + words.get(i)));
        }
        String whole = String.join(" ", words);
        send(ctx, event("response.text.done").put("response_id", id).put("item_id", itemId).put("output_index", 0)
                .put("content_index", 0).put("text", whole));
        item.put("status", "completed");
        item.putArray("content").addObject().put("type", "text").put("text", whole);
        send(ctx, event("response.output_item.done").put("response_id", id).put("output_index", 0)
                .set("item", item.deepCopy()));
        response.put("status", "completed");
        ((ArrayNode) response.get("output")).add(item);
        long prompt = inputTokens + words(instructions).size();
        ObjectNode usage = response.putObject("usage").put("total_tokens", prompt + words.size())
                .put("input_tokens", prompt).put("output_tokens", words.size());
        usage.putObject("input_token_details").put("cached_tokens", 0).put("text_tokens", prompt)
                .put("audio_tokens", 0);
        usage.putObject("output_token_details").put("text_tokens", words.size()).put("audio_tokens", 0);
        send(ctx, event("response.done").set("response", response));
    }

    private ObjectNode session() {
        ObjectNode session = JSON.createObjectNode().put("id", "sess_stub").put("object", "realtime.session")
                .put("model", model).put("instructions", instructions);
        session.putArray("modalities").add("text");
        return session;
    }

    private ObjectNode event(String type) {
        return JSON.createObjectNode().put("type", type).put("event_id", "event_" + ++events);
    }

    private void error(ChannelHandlerContext ctx, String code, String message) {
        ObjectNode error = event("error");
        error.putObject("error").put("type", "invalid_request_error").put("code", code).put("message", message);
        send(ctx, error);
    }

    private void send(ChannelHandlerContext ctx, JsonNode event) {
        ctx.writeAndFlush(new TextWebSocketFrame(event.toString()));
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        for (String word : text.trim().split("\\s+")) {
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return words;
    }
}
