package dev.platemate.gateway.proxy;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.cache.CachePolicy;
import dev.platemate.gateway.cache.CachedResponse;
import dev.platemate.gateway.cache.Entries;
import dev.platemate.gateway.cache.EntryAnswers;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.Invalidation;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.cache.SurrogateControl;
import dev.platemate.gateway.config.RouteConfig.RouteCacheConfig;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Crash;
import dev.platemate.gateway.server.EncodedResponse;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import dev.platemate.gateway.server.TokenUsage;
import dev.platemate.gateway.wire.WireNumbers;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the cache: it stands between a proxied exchange and its client on a cached route. Leading a fill (its
 * {@link Order}), it holds a storable response until it is complete, stores it, tells the waiters, and answers the
 * client from the entry; a response that turns out too large or not storable is passed through instead. A 304 to
 * its conditional request freshens the entry it revalidates. It serves a stale entry when the upstream fails
 * within stale-if-error. Without a client it still completes the fill (the client left, or it is a background
 * refresh). Without an order it only tags the response with X-Cache, and on a successful unsafe request tells
 * what to invalidate. Event-loop only.
 */
final class CacheFiller implements ClientSide {

    private static final Logger log = LoggerFactory.getLogger(CacheFiller.class);


    private enum State { WAITING_FOR_HEAD, BUFFERING, PASSING, ANSWERING_STALE, REVALIDATED, ENDED }

    private final ClientSide real;
    private final EventLoop loop;
    private final InetAddress remote;
    private final String tag;
    private final Order order;
    private State state = State.WAITING_FOR_HEAD;
    private boolean clientGone;
    private Runnable stopExchange = () -> { };
    private Consumer<HttpHeaders> onSuccess = headers -> { };
    private HttpResponse head;
    private final List<HttpContent> held = new ArrayList<>();
    private long heldBytes;
    private CachePolicy.Freshness freshness;

    /**
     * What a fill needs: where to store, whom to tell, the client's request headers (for Vary and its own
     * conditionals), the entry being revalidated (or null), and what may stand in when the upstream fails (or
     * null).
     */
    record Order(ResponseCache cache, CacheKey key, Fills.Fill waiters, RouteCacheConfig route, long maxEntryBytes,
                HttpHeaders requestHeaders, CachedResponse revalidating, CachedResponse staleIfError, Probe probe) {
    }

    /**
     * @param real the client, or null for a background refresh
     * @param tag  the X-Cache value of a passed-through response
     * @param fill the fill it leads, or null to pass everything through
     */
    CacheFiller(ClientSide real, EventLoop loop, InetAddress remote, String tag, Order order) {
        this.real = real;
        this.loop = loop;
        this.remote = remote;
        this.tag = tag;
        this.order = order;
        this.clientGone = real == null;
    }

    /** How to stop the exchange when nobody is left to take its response. */
    void onNobodyListening(Runnable stop) {
        this.stopExchange = stop;
    }

    /** What to do when the response turns out a success (2xx, 3xx), with its headers, before it is passed on. */
    void onSuccessfulResponse(Consumer<HttpHeaders> action) {
        this.onSuccess = action;
    }

    /**
     * The client left. @return true when the exchange should go on regardless (a fill still to complete), false
     * when it should stop
     */
    boolean clientLeft() {
        clientGone = true;
        return order != null
                && (state == State.WAITING_FOR_HEAD || state == State.BUFFERING || state == State.REVALIDATED);
    }

    @Override
    public void write(HttpObject part) {
        if (part instanceof HttpResponse response) {
            start(response);
        } else if (state == State.BUFFERING) {
            hold((HttpContent) part);
        } else if (state == State.PASSING && !clientGone) {
            real.write(part);
        } else {
            ReferenceCountUtil.release(part);
        }
    }

    private void start(HttpResponse response) {
        if (Invalidation.successful(response.status().code())) {
            onSuccess.accept(response.headers());
        }
        if (order == null) {
            pass(response);
            return;
        }
        if (response.status().code() == 304 && order.revalidating() != null) {
            head = response;
            state = State.REVALIDATED; // the stored body is still good: freshened once this answer is read
            return;
        }
        if (response.status().code() >= 500 && order.staleIfError() != null) {
            order.waiters().complete(null); // nothing new to share; they go upstream themselves
            state = State.ANSWERING_STALE; // the upstream failed: the stale entry answers once this one is read
            return;
        }
        freshness = CachePolicy.freshness(response, order.route(), ZonedDateTime.now());
        if (freshness == null || !fitsAnEntry(response.headers().get("content-length"))
                || !EncodedResponse.encodable(response.headers())) {
            order.waiters().complete(null);
            pass(response);
            return;
        }
        head = response;
        state = State.BUFFERING;
    }

    /** Whether a body of this Content-Length (the decoder has checked it) may be stored. */
    private boolean fitsAnEntry(String length) {
        if (length == null) {
            return true;
        }
        long bytes = WireNumbers.deltaSeconds(length); // the same digits-only rule, clamped
        return bytes >= 0 && bytes <= order.maxEntryBytes();
    }

    private void pass(HttpResponse response) {
        state = State.PASSING;
        if (clientGone) {
            stopExchange.run();
            return;
        }
        response.headers().set("x-cache", tag).remove(SurrogateControl.NAME);
        real.write(response);
    }

    private void hold(HttpContent part) {
        if (!clientGone) {
            real.progressed();
        }
        held.add(part);
        heldBytes += part.content().readableBytes();
        if (heldBytes > order.maxEntryBytes()) {
            order.waiters().complete(null); // too large to store: stream it through instead
            HttpResponse response = head;
            head = null;
            List<HttpContent> parts = new ArrayList<>(held);
            held.clear();
            pass(response);
            parts.forEach(this::write);
        }
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        State ended = state;
        state = State.ENDED;
        switch (ended) {
            case BUFFERING -> {
                String timing = head.headers().get("server-timing");
                CachedResponse entry = store();
                order.waiters().complete(entry);
                answerFromEntry(entry, "MISS", timing, keepAlive);
            }
            case REVALIDATED -> {
                String timing = head.headers().get("server-timing");
                Entries.Freshened freshened = freshen();
                order.waiters().complete(freshened.storable() ? freshened.entry() : null);
                answerFromEntry(freshened.entry(), "REVALIDATED", timing, keepAlive);
            }
            case ANSWERING_STALE -> answerStale(keepAlive);
            case PASSING -> {
                if (!clientGone) {
                    real.responseComplete(keepAlive);
                }
            }
            default -> {
            }
        }
    }

    /** Answers the client from the entry, as its own conditionals ask (a GET's: a cached POST has none). */
    private void answerFromEntry(CachedResponse entry, String xCache, String timing, boolean keepAlive) {
        HttpHeaders conditionals = order.key().method().equals("GET") ? order.requestHeaders()
                : EmptyHttpHeaders.INSTANCE;
        FullHttpResponse response = EntryAnswers.answer(entry, conditionals, order.cache().now(), xCache, false);
        if (timing != null) {
            response.headers().set("server-timing", timing);
        }
        answer(response, keepAlive);
    }

    /**
     * The entry being revalidated, its headers freshened by the 304 in {@code head}, stored again; unless the 304
     * made it no longer storable (Set-Cookie, private, no-store): then only this client, whose request it answered,
     * gets it, and the waiters go upstream themselves.
     */
    private Entries.Freshened freshen() {
        Entries.Freshened freshened = Entries.freshened(order.revalidating(), head, order.route(), order.cache().now());
        head = null;
        if (freshened.storable()) {
            order.probe().at(Probe.Stage.CACHE_STORE);
            order.cache().store(order.key(), freshened.entry());
        }
        return freshened;
    }

    private CachedResponse store() {
        order.probe().at(Probe.Stage.CACHE_STORE);
        byte[] body = new byte[(int) heldBytes];
        int at = 0;
        for (HttpContent part : held) {
            int n = part.content().readableBytes();
            part.content().getBytes(part.content().readerIndex(), body, at, n);
            at += n;
            part.release();
        }
        held.clear();
        CachedResponse entry = Entries.of(head, body, order.requestHeaders(), order.cache().now(), freshness);
        order.cache().store(order.key(), entry);
        head = null;
        return entry;
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        state = State.ENDED;
        if (order != null) {
            order.waiters().complete(null);
            if (order.staleIfError() != null) {
                response.release();
                answerStale(keepAlive);
                return;
            }
        }
        answer(response, keepAlive);
    }

    @Override
    public void abort() {
        State was = state;
        state = State.ENDED;
        releaseHeld();
        if (order != null) {
            order.waiters().complete(null);
        }
        if (clientGone) {
            return;
        }
        if (was == State.PASSING) {
            real.abort();
        } else if (order != null && order.staleIfError() != null) {
            answerStale(false);
        } else {
            // nothing reached the client yet: it gets a clean error instead of a cut connection
            real.respond(Responses.error(GatewayError.UPSTREAM_UNAVAILABLE, "the upstream response was cut short"),
                    false);
        }
    }

    /**
     * Something threw on the exchange's path: the fill stores nothing (its waiters go upstream themselves), what it
     * held is released, and the client, if there still is one, hears of it.
     */
    @Override
    public void fail(Throwable cause) {
        state = State.ENDED;
        head = null;
        releaseHeld();
        if (order != null) {
            order.waiters().complete(null);
        }
        if (clientGone) {
            log.warn("a cache fill without a client failed: {}", Crash.describe(cause));
        } else {
            clientGone = true;
            real.fail(cause);
        }
    }

    private void answerStale(boolean keepAlive) {
        order.waiters().complete(null);
        answer(order.staleIfError().toResponse(order.cache().now(), "STALE", false), keepAlive);
    }

    private void answer(FullHttpResponse response, boolean keepAlive) {
        if (clientGone) {
            response.release();
        } else {
            real.respond(response, keepAlive);
        }
    }

    private void releaseHeld() {
        held.forEach(HttpContent::release);
        held.clear();
    }

    @Override
    public void metered(TokenUsage usage) {
        if (real != null) {
            real.metered(usage);
        }
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        if (real != null) {
            real.timed(queueMillis, upstreamMillis);
        }
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public InetAddress remoteAddress() {
        return remote;
    }

    @Override
    public boolean keepAliveWanted() {
        return !clientGone && real.keepAliveWanted();
    }

    @Override
    public void flush() {
        if (state == State.PASSING && !clientGone) {
            real.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return state != State.PASSING || clientGone || real.isWritable();
    }

    @Override
    public void suspendReading(boolean suspend) {
        if (!clientGone) {
            real.suspendReading(suspend);
        }
    }
}
