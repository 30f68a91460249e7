package dev.platemate.gateway.proxy;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cache.CachePolicy;
import dev.platemate.gateway.cache.CachedResponse;
import dev.platemate.gateway.cache.EntryAnswers;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.Invalidation;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.cache.Revalidation;
import dev.platemate.gateway.cache.SurrogateControl;
import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A request on a cached route. It reads the whole request (the key of a POST includes its body), then: answers a
 * fresh entry from memory; answers a stale one within stale-while-revalidate and refreshes it in the background;
 * waits for an identical fill already in flight (bounded); or leads a fill itself. Requests that skip the cache
 * go straight through, tagged BYPASS. Event-loop only.
 */
final class CachingExchange implements Exchange {

    /** What a cached route needs, built once per route. */
    record CachedRoute(ResponseCache cache, Fills fills, RouteCacheConfig config, long maxEntryBytes,
                       String routePrefix, String upstream, URI upstreamOrigin, long fillWaitNanos, Probe probe) {
    }

    /** Opens the proxied exchange that goes upstream, answering to {@code client}. */
    interface Upstream {
        Exchange open(HttpRequest request, ClientSide client);
    }

    private static final ResponseCache.Lookup MISS = new ResponseCache.Lookup(ResponseCache.State.MISS, null);

    private final ClientSide client;
    private final HttpRequest request;
    private final String upstreamTarget;
    private final CachedRoute route;
    private final Upstream upstream;
    private final boolean headRequest;
    private final List<HttpContent> body = new ArrayList<>();
    private Exchange inner;
    private CacheFiller filler;
    private Runnable stopWaiting;
    private boolean done;

    /** @param request the client's request, not yet rewritten for the upstream */
    CachingExchange(ClientSide client, HttpRequest request, String upstreamTarget, CachedRoute route,
                    Upstream upstream) {
        this.client = client;
        this.request = request;
        this.upstreamTarget = upstreamTarget;
        this.route = route;
        this.upstream = upstream;
        this.headRequest = HttpMethod.HEAD.equals(request.method());
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (inner != null) {
            inner.onRequestContent(content);
            return;
        }
        if (done || stopWaiting != null) {
            content.release();
            return;
        }
        body.add(content);
        if (content instanceof LastHttpContent) {
            decide();
        }
    }

    private void decide() {
        String method = headRequest ? "GET" : request.method().name();
        HttpHeaders headers = request.headers();
        if (!route.config().methods().contains(request.method().name())) {
            goUpstream("BYPASS", null);
            return;
        }
        if (!method.equals("POST") && hasBody()) {
            goUpstream("BYPASS", null); // a GET or HEAD body is not in the key: its answer is not shared
            return;
        }
        if (CachePolicy.bypasses(headers)) {
            route.cache().countBypass();
            goUpstream("BYPASS", null);
            return;
        }
        CacheKey key = CacheKey.of(route.routePrefix(), method, route.upstream(), upstreamTarget,
                headers.get(HttpHeaderNames.AUTHORIZATION), method.equals("POST") ? bodyBytes() : null);
        CompletableFuture<ResponseCache.Lookup> lookup = route.cache().lookupEverywhere(key, headers);
        if (lookup.isDone()) {
            answer(key, method, lookup.getNow(MISS));
            return;
        }
        lookup.whenComplete((found, error) -> client.eventLoop().execute(client.guard(() -> {
            if (!done) {
                answer(key, method, found == null ? MISS : found);
            }
        })));
    }

    /**
     * Serves what the lookup found, or goes upstream: alone, leading a fill (conditional when the entry found can be
     * revalidated), or waiting for one.
     */
    private void answer(CacheKey key, String method, ResponseCache.Lookup lookup) {
        route.probe().at(Probe.Stage.CACHE_LOOKUP);
        CachedResponse found = lookup.entry();
        switch (lookup.state()) {
            case FRESH -> serve(found, "HIT");
            case STALE -> {
                Fills.Membership refresh = method.equals("GET") ? route.fills().join(key) : null;
                if (refresh != null && refresh.leader()) {
                    refreshInBackground(key, refresh.fill(), found);
                }
                serve(found, "STALE");
            }
            default -> {
                if (headRequest || request.headers().contains(HttpHeaderNames.RANGE)) {
                    goUpstream("MISS", null); // its answer cannot fill: it goes alone
                    return;
                }
                CachedResponse staleIfError = lookup.state() == ResponseCache.State.STALE_IF_ERROR ? found : null;
                // a POST is not made conditional: an If-None-Match on it asks the upstream to refuse (412)
                CachedResponse revalidating = method.equals("GET") && found != null && found.revalidatable()
                        ? found : null;
                Fills.Membership membership = route.fills().join(key);
                if (membership.leader()) {
                    goUpstream("MISS", fillFor(key, membership.fill(), revalidating, staleIfError));
                } else {
                    stopWaiting = membership.fill().await(client.eventLoop(), route.fillWaitNanos(),
                            entry -> client.guard(() -> filledByAnother(entry, staleIfError)).run());
                }
            }
        }
    }

    private CacheFiller.Order fillFor(CacheKey key, Fills.Fill fill, CachedResponse revalidating,
                                     CachedResponse staleIfError) {
        return new CacheFiller.Order(route.cache(), key, fill, route.config(), route.maxEntryBytes(),
                request.headers().copy(), revalidating, staleIfError, route.probe());
    }

    /**
     * The headers a fill sends upstream: conditional on the entry it revalidates, else without the client's own
     * conditionals, so that what comes back can be stored (the client's are then answered from the entry).
     */
    private static void conditionalFor(HttpHeaders upstreamHeaders, CacheFiller.Order fill) {
        if (fill.revalidating() != null) {
            Revalidation.makeConditional(upstreamHeaders, fill.revalidating());
        } else if (fill.key().method().equals("GET")) {
            upstreamHeaders.remove(HttpHeaderNames.IF_NONE_MATCH).remove(HttpHeaderNames.IF_MODIFIED_SINCE);
        }
    }

    /** The identical request ahead of this one finished its fill (entry), or gave up or took too long (null). */
    private void filledByAnother(CachedResponse entry, CachedResponse staleIfError) {
        stopWaiting = null;
        if (done) {
            return;
        }
        if (entry != null && entry.matches(request.headers())) {
            serve(entry, "MISS");
        } else {
            goUpstream("MISS", null);
        }
    }

    private void serve(CachedResponse entry, String xCache) {
        done = true;
        releaseBody();
        HttpHeaders conditionals = request.method().equals(HttpMethod.POST) ? EmptyHttpHeaders.INSTANCE
                : request.headers();
        client.respond(EntryAnswers.answer(entry, conditionals, route.cache().now(), xCache, headRequest), true);
    }

    private void goUpstream(String xCache, CacheFiller.Order fill) {
        request.headers().set(SurrogateControl.CAPABILITY_NAME, SurrogateControl.CAPABILITY);
        if (fill != null) {
            conditionalFor(request.headers(), fill);
        }
        filler = new CacheFiller(client, client.eventLoop(), client.remoteAddress(), xCache, fill);
        if (fill == null && Invalidation.unsafe(request.method().name())
                && !route.config().methods().contains(request.method().name())) {
            filler.onSuccessfulResponse(this::invalidate);
        }
        inner = upstream.open(request, filler);
        Exchange opened = inner;
        filler.onNobodyListening(opened::onClientClosed);
        List<HttpContent> parts = new ArrayList<>(body);
        body.clear();
        parts.forEach(opened::onRequestContent);
    }

    /** A successful unsafe request: its target, and what its Location and Content-Location name, are stale now. */
    private void invalidate(HttpHeaders response) {
        for (String target : Invalidation.targets(route.upstreamOrigin(), upstreamTarget, response)) {
            route.cache().invalidate(new CacheKey.Resource(route.routePrefix(), route.upstream(), target));
        }
    }

    /** Within stale-while-revalidate: one request, with no client, refreshes the entry (conditionally if it can). */
    private void refreshInBackground(CacheKey key, Fills.Fill fill, CachedResponse stale) {
        // a GET even when a HEAD found the entry stale: what it stores is the GET's entry, body and all
        HttpRequest copy = new DefaultHttpRequest(request.protocolVersion(), HttpMethod.GET, request.uri(),
                request.headers().copy());
        CacheFiller.Order refill = fillFor(key, fill, stale.revalidatable() ? stale : null, null);
        copy.headers().set(SurrogateControl.CAPABILITY_NAME, SurrogateControl.CAPABILITY);
        conditionalFor(copy.headers(), refill);
        CacheFiller detached = new CacheFiller(null, client.eventLoop(), client.remoteAddress(), "MISS", refill);
        Exchange refresh = upstream.open(copy, detached);
        detached.onNobodyListening(refresh::onClientClosed);
        refresh.onRequestContent(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    private boolean hasBody() {
        for (HttpContent part : body) {
            if (part.content().isReadable()) {
                return true;
            }
        }
        return false;
    }

    private byte[] bodyBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (HttpContent part : body) {
            out.writeBytes(ByteBufUtil.getBytes(part.content()));
        }
        return out.toByteArray();
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (inner != null) {
            inner.abort(error, message);
        } else if (!done) {
            done = true;
            leaveWait();
            releaseBody();
            client.respond(Responses.error(error, message), false);
        }
    }

    @Override
    public void onClientWritabilityChanged() {
        if (inner != null) {
            inner.onClientWritabilityChanged();
        }
    }

    @Override
    public void onClientClosed() {
        if (inner != null) {
            if (!filler.clientLeft()) {
                inner.onClientClosed();
            }
            return;
        }
        done = true;
        leaveWait();
        releaseBody();
    }

    private void leaveWait() {
        if (stopWaiting != null) {
            stopWaiting.run();
            stopWaiting = null;
        }
    }

    private void releaseBody() {
        body.forEach(HttpContent::release);
        body.clear();
    }
}
