package dev.platemate.gateway.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The stand-in upstream's endpoints: {@code POST /v1/chat/completions} (streamed as server-sent events when the
 * body asks for {@code "stream": true}; answering with the body's {@code model} and its usage, in a stream as a last
 * usage-only chunk when {@code stream_options.include_usage} asks, as OpenAI does; failing as {@link StubControls}
 * say), {@code GET /food/search?q=}, {@code GET /health}, and its admin path: {@code GET /stub} (its state and
 * counts), {@code POST /stub/limit?max_concurrent=N}, {@code POST /stub/fail?mode=none|refuse|5xx|stall}; and the
 * Realtime WebSocket {@code /v1/realtime} ({@link StubRealtime}; 401 without a key). Per channel.
 */
final class StubHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What all channels count together. */
    record Counts(AtomicInteger aiActive, LongAdder aiRejected, LongAdder served, LongAdder aiServed) {
    }

    private final StubUpstream.Settings settings;
    private final StubControls controls;
    private final AtomicInteger aiActive;
    private final LongAdder aiRejected;
    private final LongAdder served;
    private final LongAdder aiServed;
    private final TokensPerMinute tokens;
    private final StubOAuth oauth;

    StubHandler(StubUpstream.Settings settings, StubControls controls, Counts counts, TokensPerMinute tokens,
                StubOAuth oauth) {
        this.settings = settings;
        this.controls = controls;
        this.aiActive = counts.aiActive();
        this.aiRejected = counts.aiRejected();
        this.served = counts.served();
        this.aiServed = counts.aiServed();
        this.tokens = tokens;
        this.oauth = oauth;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        switch (uri.path()) {
            case "/v1/chat/completions" -> {
                if (!failed(ctx, keepAlive)) {
                    chat(ctx, request.content().toString(StandardCharsets.UTF_8), keepAlive);
                }
            }
            case "/stub/limit", "/stub/fail" -> control(ctx, request, uri, keepAlive);
            case "/stub" -> send(ctx, json(HttpResponseStatus.OK, state()), keepAlive);
            case "/connect/token" -> {
                String issued = !request.method().name().equals("POST") ? null
                        : oauth.issue(request.headers().get(HttpHeaderNames.AUTHORIZATION),
                                request.content().toString(StandardCharsets.UTF_8));
                send(ctx, issued == null ? json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"invalid_client\"}")
                        : json(HttpResponseStatus.OK, issued), keepAlive);
            }
            case "/food/search" -> {
                if (!oauth.allows(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                    send(ctx, json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"invalid_token\"}"), keepAlive);
                    return;
                }
                String query = uri.parameters().getOrDefault("q", List.of("apple")).get(0);
                ctx.executor().schedule(() -> send(ctx, json(HttpResponseStatus.OK, food(query)), keepAlive),
                        settings.foodLatency().toNanos(), TimeUnit.NANOSECONDS);
            }
            case "/v1/realtime" -> {
                String key = request.headers().get(HttpHeaderNames.AUTHORIZATION);
                if (key == null || !key.startsWith("Bearer ") || key.length() == 7) {
                    send(ctx, json(HttpResponseStatus.UNAUTHORIZED, "{\"error\":{\"message\":\"no API key\","
                            + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"), keepAlive);
                } else {
                    served.increment();
                    StubRealtime.accept(ctx, request);
                }
            }
            case "/health" -> send(ctx, json(HttpResponseStatus.OK, "{\"status\":\"ok\"}"), keepAlive);
            default -> send(ctx, json(HttpResponseStatus.NOT_FOUND,
                    "{\"error\":{\"message\":\"no such endpoint\",\"type\":\"not_found\",\"code\":404}}"), keepAlive);
        }
    }

    /** Fails the completion as the controls say. @return whether it did */
    private boolean failed(ChannelHandlerContext ctx, boolean keepAlive) {
        switch (controls.failure()) {
            case REFUSE -> {
                ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                ctx.close();   // a reset, nothing answered
            }
            case ERROR_5XX -> {
                FullHttpResponse failing = json(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"error\":{\"message\":"
                        + "\"The server is overloaded or not ready yet.\",\"type\":\"server_error\",\"code\":503}}");
                send(ctx, failing, keepAlive);
            }
            case STALL -> {
                // read, never answered: the connection stays open until the caller gives up
            }
            case NONE -> {
                return false;
            }
        }
        return true;
    }

    /** {@code POST /stub/limit?max_concurrent=N}, {@code POST /stub/fail?mode=none|refuse|5xx|stall}. */
    private void control(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri,
                         boolean keepAlive) {
        String value = uri.parameters().getOrDefault(uri.path().equals("/stub/limit") ? "max_concurrent" : "mode",
                List.of("")).get(0);
        boolean done = false;
        if (request.method().name().equals("POST") && uri.path().equals("/stub/limit") && value.matches("\\d{1,6}")) {
            controls.maxConcurrent(Integer.parseInt(value));
            done = true;
        } else if (request.method().name().equals("POST") && uri.path().equals("/stub/fail")) {
            var failure = StubControls.Failure.of(value);
            failure.ifPresent(controls::failure);
            done = failure.isPresent();
        }
        send(ctx, done ? json(HttpResponseStatus.OK, state()) : json(HttpResponseStatus.BAD_REQUEST,
                "{\"error\":{\"message\":\"POST /stub/limit?max_concurrent=N or "
                        + "/stub/fail?mode=none|refuse|5xx|stall\","
                        + "\"type\":\"bad_request\",\"code\":400}}"), keepAlive);
    }

    /** Its controls, and the chat completions it served and refused so far. */
    private String state() {
        return "{\"max_concurrent\":" + controls.maxConcurrent() + ",\"fail\":\"" + controls.failure().key()
                + "\",\"ai_served\":" + aiServed.sum() + ",\"ai_rejected\":" + aiRejected.sum() + "}";
    }

    private void chat(ChannelHandlerContext ctx, String body, boolean keepAlive) {
        if (aiActive.incrementAndGet() > controls.maxConcurrent()) {
            aiActive.decrementAndGet();
            aiRejected.increment();
            FullHttpResponse refused = json(HttpResponseStatus.TOO_MANY_REQUESTS, "{\"error\":{\"message\":"
                    + "\"Rate limit reached: too many requests at once\",\"type\":\"rate_limit_exceeded\",\"code\":429}}");
            refused.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
            send(ctx, refused, keepAlive);
            return;
        }
        JsonNode request = parsed(body);
        String model = request.path("model").isTextual() ? request.path("model").asText().replaceAll("[^\\w.:-]", "")
                : "stub";
        boolean stream = request.path("stream").asBoolean(false);
        boolean withUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        long cost = 9 + (stream ? 4 : 6);   // what its usage will say
        if (tokens.limited() && !tokens.take(cost)) {
            aiActive.decrementAndGet();
            aiRejected.increment();
            FullHttpResponse refused = json(HttpResponseStatus.TOO_MANY_REQUESTS, "{\"error\":{\"message\":"
                    + "\"Rate limit reached for " + model + " on tokens per min (TPM): Limit " + tokens.limit()
                    + ", Used " + (tokens.limit() - tokens.remaining()) + ", Requested " + cost + ".\","
                    + "\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}");
            rateLimitHeaders(refused);
            refused.headers().set(HttpHeaderNames.RETRY_AFTER, tokens.retryAfterSeconds());
            send(ctx, refused, keepAlive);
            return;
        }
        ctx.executor().schedule(() -> {
            aiActive.decrementAndGet();
            aiServed.increment();
            if (stream) {
                streamChat(ctx, model, withUsage, keepAlive);
            } else {
                FullHttpResponse answer = json(HttpResponseStatus.OK, completion(model, "Here is a balanced meal plan."));
                rateLimitHeaders(answer);
                send(ctx, answer, keepAlive);
            }
        }, settings.aiLatency().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** OpenAI's {@code x-ratelimit-*-tokens} headers, when the stub has a tokens-per-minute limit. */
    private void rateLimitHeaders(HttpResponse response) {
        if (tokens.limited()) {
            response.headers().set("x-ratelimit-limit-tokens", tokens.limit())
                    .set("x-ratelimit-remaining-tokens", tokens.remaining())
                    .set("x-ratelimit-reset-tokens", tokens.reset());
        }
    }

    private static JsonNode parsed(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }

    /** As OpenAI streams: with include_usage, usage null on each chunk and a last chunk with only the usage. */
    private void streamChat(ChannelHandlerContext ctx, String model, boolean withUsage, boolean keepAlive) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        rateLimitHeaders(head);
        ctx.write(head);
        String[] words = {"Here ", "is ", "a ", "plan."};
        for (String word : words) {
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: {\"object\":\"chat.completion.chunk\","
                    + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word
                    + "\"}}]" + (withUsage ? ",\"usage\":null" : "") + "}\n\n", StandardCharsets.UTF_8)));
        }
        if (withUsage) {
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: {\"object\":\"chat.completion.chunk\","
                    + "\"model\":\"" + model + "\",\"choices\":[],\"usage\":" + usage(words.length) + "}\n\n",
                    StandardCharsets.UTF_8)));
        }
        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.UTF_8)));
        served.increment();
        var done = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String completion(String model, String text) {
        return "{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":" + usage(6) + "}";
    }

    private static String usage(int completion) {
        return "{\"prompt_tokens\":9,\"completion_tokens\":" + completion + ",\"total_tokens\":" + (9 + completion)
                + "}";
    }

    private static String food(String query) {
        String safe = query.replaceAll("[^A-Za-z0-9 ]", "");
        StringBuilder foods = new StringBuilder("{\"foods\":{\"food\":[");
        for (int i = 1; i <= 5; i++) {
            foods.append(i > 1 ? "," : "").append("{\"food_id\":\"").append(1000 + i).append("\",\"food_name\":\"")
                    .append(safe).append(' ').append(i).append("\",\"food_description\":\"Per 100g - Calories: ")
                    .append(40 + 13 * i).append("kcal | Fat: 0.").append(i).append("g | Carbs: ").append(10 + i)
                    .append("g | Protein: 0.").append(i).append("g\"}");
        }
        return foods.append("],\"total_results\":\"5\"}}").toString();
    }

    private static FullHttpResponse json(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        return response;
    }

    private void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        served.increment();
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
