package dev.platemate.gateway.fallback;

import dev.platemate.gateway.config.FallbackConfig;
import dev.platemate.gateway.server.AttemptSide;
import dev.platemate.gateway.server.AttemptingExchange;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A request on a route with fallback upstreams, in front of the exchanges that try them (a stage, like the AI
 * meter and the cache). The body is held whole; then the route's own upstream is tried with a copy of the request.
 * When its answer is one of the route's triggers and nothing of it reached the client, that answer is dropped and
 * the next upstream is tried, with the body's {@code model} rewritten for it. Each attempt is a whole exchange of
 * that upstream's own (pool, breaker, buckets, limiter, meter), so it waits in that upstream's limiter like any
 * request. The answer that passes, whichever it is, names its upstream in {@code X-Gateway-Upstream} and the
 * attempts before it in {@code Server-Timing}; once it passes there is no going back. Event-loop only.
 */
public final class FallbackExchange extends AttemptingExchange {

    /** Opens the exchange that tries {@code upstream} with {@code request} (a copy), answering to {@code side}. */
    public interface Opener {
        Exchange open(String upstream, HttpRequest request, ClientSide side);
    }

    static final String UPSTREAM_HEADER = "x-gateway-upstream";

    private final HttpRequest request;
    private final String route;
    private final List<String> upstreams;
    private final FallbackConfig config;
    private final Opener opener;
    private final List<String> timings = new ArrayList<>();
    private int attempt = -1;
    private long attemptStarted;

    private FallbackExchange(ClientSide client, HttpRequest request, String route, List<String> upstreams,
                             FallbackConfig config, Opener opener) {
        super(client);
        this.request = request;
        this.route = route;
        this.upstreams = List.copyOf(upstreams);
        this.config = config;
        this.opener = opener;
    }

    /** @param upstreams the route's own upstream, then its fallbacks */
    public static Exchange open(ClientSide client, HttpRequest request, String route, List<String> upstreams,
                                FallbackConfig config, Opener opener) {
        return new FallbackExchange(client, request, route, upstreams, config, opener);
    }

    @Override
    protected void bodyHeld() {
        tryNext();
    }

    /** Opens the next upstream's exchange, and gives it the request's body (its own copy). */
    private void tryNext() {
        attempt++;
        String upstream = upstreams.get(attempt);
        attemptStarted = System.nanoTime();
        HttpRequest copy = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
        List<HttpContent> parts = bodyFor(upstream, copy);
        boolean last = attempt == upstreams.size() - 1;
        client.routed(route, upstream);   // the one being tried, should the client leave meanwhile
        AttemptSide side = new AttemptSide(client, this, new Triggers(last ? Set.of() : config.on()));
        attempt(() -> opener.open(upstream, copy, side), parts);
    }

    /** The body as {@code upstream} gets it: the client's, or with its model mapped (the head then says its length). */
    private List<HttpContent> bodyFor(String upstream, HttpRequest copy) {
        byte[] mapped = ModelRewrite.rewritten(copy.headers(), body.parts(), config, upstream);
        if (mapped == null) {
            return body.copies();
        }
        copy.headers().remove(HttpHeaderNames.TRANSFER_ENCODING).setInt(HttpHeaderNames.CONTENT_LENGTH, mapped.length);
        return List.of(new DefaultLastHttpContent(Unpooled.wrappedBuffer(mapped)));
    }

    /** The current attempt's answer goes to the client: it says who served it, and what was tried before. */
    @Override
    public void passing(HttpHeaders head) {
        if (head != null) {
            head.set(UPSTREAM_HEADER, upstreams.get(attempt));
            timings.forEach(timing -> head.add("server-timing", timing));
        }
        body.release();   // it will not be sent again
    }

    /** The current attempt ended with an answer that is a trigger ({@code reason}), dropped: the next is tried. */
    @Override
    public void declined(String reason) {
        String from = upstreams.get(attempt);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attemptStarted);
        timings.add("fallback;desc=\"" + from + " " + reason + "\";dur=" + millis);
        client.fellBack(from, upstreams.get(attempt + 1), reason);
        next(this::tryNext);   // once the exchange that declined has returned
    }
}
