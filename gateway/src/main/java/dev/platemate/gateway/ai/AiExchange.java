package dev.platemate.gateway.ai;

import dev.platemate.gateway.config.AiRouteConfig;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.HoldingExchange;
import dev.platemate.gateway.server.Responses;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A request on an AI route, around the exchange that serves it (Armeria-style: a decorator, not a flag inside it).
 * A JSON body is read whole (bounded by {@code server.max_body_size}) for its model and whether it streams; a
 * stream that said nothing of usage is asked for its usage chunk when the route injects it; then the inner exchange
 * opens with a {@link UsageMeter} next to the upstream (so a cache fill is counted, a cache hit is not). The upstream
 * is asked for an unencoded answer, which the meter can read. With a {@link TokenBudget}, the request's estimate
 * is reserved first (waited for, or refused 429 {@code token_limit}), and settled with what the usage turned out to
 * be. Any other body (a file upload) is not metered and goes on at once. Event-loop only.
 */
public final class AiExchange extends HoldingExchange {

    /** Opens the exchange that serves a request; {@code metered} wraps the client side its upstream answers to. */
    public interface Opener {
        Exchange open(HttpRequest request, UnaryOperator<ClientSide> metered);
    }

    private final HttpRequest request;
    private final AiRouteConfig route;
    private final Opener opener;
    private final TokenBudget budget;
    private List<TokenBucket> buckets = List.of();
    private long[] reserved = new long[0];
    private UsageMeter meter;

    private AiExchange(ClientSide client, HttpRequest request, AiRouteConfig route, Opener opener,
                       TokenBudget budget) {
        super(client);
        this.request = request;
        this.route = route;
        this.opener = opener;
        this.budget = budget;
    }

    /**
     * The exchange for {@code request} on an AI route: metered when its body is JSON, else the inner one as it is.
     *
     * @param budget the upstream's token_limit, or null
     */
    public static Exchange open(ClientSide client, HttpRequest request, AiRouteConfig route, Opener opener,
                                TokenBudget budget) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (!type.contains("json") || request.headers().contains(HttpHeaderNames.CONTENT_ENCODING)) {
            return opener.open(request, UnaryOperator.identity());
        }
        return new AiExchange(client, request, route, opener, budget);
    }

    @Override
    protected void bodyHeld() {
        admit();
    }

    /** The body is whole: its tokens are reserved (or waited for) in every bucket it meets, then it opens. */
    private void admit() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        held().forEach(part -> body.writeBytes(ByteBufUtil.getBytes(part.content())));
        AiRequest ai = AiRequest.read(body.toByteArray());
        if (budget == null) {
            openMetered(ai);
            return;
        }
        buckets = budget.buckets();
        reserved = new long[buckets.size()];
        reserveFrom(ai, 0);
    }

    /** Reserves the estimate in bucket {@code i}, then the next; a refusal gives back what was taken. */
    private void reserveFrom(AiRequest ai, int i) {
        if (i == buckets.size()) {
            openMetered(ai);
            return;
        }
        TokenBucket bucket = buckets.get(i);
        long want = Math.min(ai.estimatedTokens(), bucket.capacity());
        CompletableFuture<RateLimitDecision> decision = budget.maxWait().isZero() ? bucket.tryTakeEverywhere(want)
                : bucket.take(want, budget.maxWait(), client.eventLoop());
        if (decision.isDone() && client.eventLoop().inEventLoop()) {
            decided(ai, i, want, decision.getNow(null));
            return;
        }
        budget.waiting(true);
        decision.whenComplete((answer, error) -> {
            budget.waiting(false);
            client.eventLoop().execute(client.guard(() -> decided(ai, i, want, answer)));
        });
    }

    private void decided(AiRequest ai, int i, long want, RateLimitDecision answer) {
        boolean allowed = answer != null && answer.allowed();
        if (allowed) {
            reserved[i] = want;
        }
        if (over()) {
            giveBack();   // its client left while it waited: nothing was spent
            return;
        }
        if (!allowed) {
            giveBack();
            release();
            long retryAfter = answer == null ? 1 : answer.retryAfterSeconds();
            FullHttpResponse refused = i == 0 && budget.upstream() != null
                    ? Responses.error(GatewayError.TOKEN_LIMIT, "the token limit of this route's upstream is reached",
                            retryAfter)
                    : Responses.callerError(GatewayError.TOKEN_LIMIT, "this caller's token limit is reached",
                            retryAfter);
            if (answer != null) {
                answer.addHeaders(refused.headers());
            }
            client.respond(refused, true);
            return;
        }
        reserveFrom(ai, i + 1);
    }

    private void giveBack() {
        for (int i = 0; i < reserved.length; i++) {
            if (reserved[i] > 0) {
                buckets.get(i).adjust(-reserved[i]);
                reserved[i] = 0;
            }
        }
    }

    /** What the usage turned out to be settles each reservation; the provider's own count holds its bucket. */
    private UsageMeter.Settlement settlement() {
        if (budget == null) {
            return UsageMeter.Settlement.NONE;
        }
        return new UsageMeter.Settlement() {
            private boolean providerCounted;

            @Override
            public void settled(TokenUsage usage) {
                long used = usage.prompt() + usage.completion();
                for (int i = 0; i < buckets.size(); i++) {
                    boolean upstreams = i == 0 && budget.upstream() != null;
                    if (!(upstreams && providerCounted)) {   // the provider's own count already holds this request
                        buckets.get(i).adjust(used - reserved[i]);
                    }
                }
            }

            @Override
            public void providerHas(long tokensLeft) {
                if (budget.upstream() != null) {
                    providerCounted = true;
                    budget.upstream().atMost(tokensLeft);
                }
            }
        };
    }

    private void openMetered(AiRequest ai) {
        List<HttpContent> parts = takeHeld();
        Exchange opened;
        try {
            boolean askUsage = route.injectStreamUsage()
                    && ai.wantsUsageAdded(new QueryStringDecoder(request.uri()).path());
            if (askUsage) {
                byte[] rewritten = ai.withUsageAsked();
                parts.forEach(HttpContent::release);
                parts = List.of(new DefaultLastHttpContent(Unpooled.wrappedBuffer(rewritten)));
                request.headers().remove(HttpHeaderNames.TRANSFER_ENCODING)
                        .set(HttpHeaderNames.CONTENT_LENGTH, rewritten.length);
            }
            request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
            UsageMeter.Settlement settlement = settlement();
            opened = opener.open(request, upstreamSide -> meter = new UsageMeter(upstreamSide, ai, askUsage,
                    settlement));
        } catch (RuntimeException e) {
            parts.forEach(part -> {
                if (part.refCnt() > 0) {
                    part.release();
                }
            });
            throw e;
        }
        handOver(opened, parts);
    }

    /** The exchange hears first; then the meter books what was seen (see UsageMeter#clientLeft). */
    @Override
    public void onClientClosed() {
        try {
            super.onClientClosed();   // before a hand-over: a reservation still waited for goes back when it comes
        } finally {
            if (meter != null) {
                meter.clientLeft();
            }
        }
    }
}
