package dev.platemate.gateway.server;

import dev.platemate.gateway.probe.Probe;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands between one exchange and its client connection and watches what passes: the status, the body bytes, the
 * gateway's own Server-Timing and X-Cache, and how the request ended. When it ends (response complete, cut, or
 * client gone) it tells the {@link RequestListener} exactly once. Event-loop only.
 */
final class ObservedExchange implements ClientSide, Exchange {

    private static final Logger log = LoggerFactory.getLogger(ObservedExchange.class);

    private static final AsciiString SERVER_TIMING = AsciiString.cached("server-timing");
    private static final AsciiString X_CACHE = AsciiString.cached("x-cache");

    private final ClientSide client;
    private final RequestListener listener;
    private final Probe probe;
    private final String method;
    private final String uri;
    private final long startedNanos;
    private Exchange exchange;
    private String route = "-";
    private String upstream = "-";
    private int status;
    private long bytes;
    private String serverTiming;
    private long queueMillis = -1;
    private long upstreamMillis = -1;
    private TokenUsage usage = TokenUsage.NONE;
    private String caller = "-";
    private List<RequestSummary.Fallback> fallbacks = List.of();
    private String error = "-";
    private String cache;
    private boolean ended;
    private boolean failed;

    ObservedExchange(ClientSide client, RequestListener listener, Probe probe, String method, String uri) {
        this.client = client;
        this.listener = listener;
        this.probe = probe;
        this.method = method;
        this.uri = uri;
        this.startedNanos = System.nanoTime();
    }

    @Override
    public void routed(String route, String upstream) {
        this.route = route;
        this.upstream = upstream;
    }

    @Override
    public void fellBack(String from, String to, String reason) {
        List<RequestSummary.Fallback> more = new ArrayList<>(fallbacks);
        more.add(new RequestSummary.Fallback(from, to, reason));
        fallbacks = more;
    }

    /** The exchange that serves the request; returns this, which stands for it towards the connection. */
    Exchange serving(Exchange exchange) {
        this.exchange = exchange;
        return this;
    }

    @Override
    public void onRequestContent(HttpContent content) {
        if (failed || exchange == null) {
            content.release();
        } else {
            exchange.onRequestContent(content);
        }
    }

    @Override
    public void abort(GatewayError error, String message) {
        if (!failed && exchange != null) {
            exchange.abort(error, message);
        }
    }

    @Override
    public void onClientWritabilityChanged() {
        if (!failed && exchange != null) {
            exchange.onClientWritabilityChanged();
        }
    }

    /** The exchange hears first, so that what it tells of its timings ({@link #timed}) is in the summary. */
    @Override
    public void onClientClosed() {
        try {
            if (!failed && exchange != null) {
                exchange.onClientClosed();
            }
        } finally {
            end(false);
        }
    }

    @Override
    public void identified(String caller) {
        this.caller = caller;
    }

    @Override
    public void metered(TokenUsage usage) {
        this.usage = usage;
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        this.queueMillis = queueMillis;
        this.upstreamMillis = upstreamMillis;
    }

    /**
     * Something threw on this request's path, in the exchange or in the connection serving it. Logged once; the
     * exchange releases everything it holds, as when a client leaves; then, if the client has not had its whole
     * answer yet, the connection ends the request (a 500 if nothing was written, else a cut). What the exchange
     * writes from the moment of the failure is dropped.
     */
    @Override
    public void fail(Throwable cause) {
        if (failed) {
            return;
        }
        failed = true;
        log.warn("{} {} (route {}) failed inside the gateway: {}", method, pathOf(uri), route, Crash.describe(cause));
        if (exchange != null) {   // first, so that what it tells on the way (timings, usage) is in the summary
            try {
                exchange.onClientClosed();
            } catch (Throwable again) {
                log.warn("releasing what {} {} held failed too: {}", method, pathOf(uri), Crash.describe(again));
            }
        }
        if (!ended) {
            if (status == 0) {
                status = GatewayError.INTERNAL_ERROR.status().code();
                error = GatewayError.INTERNAL_ERROR.type();
            }
            end(false);
            client.fail(cause);
        }
    }

    @Override
    public void write(HttpObject part) {
        if (failed) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (part instanceof WireBytes wire) {
            if (wire.isHead()) {
                status = wire.status();
                serverTiming = wire.serverTiming();
            } else {
                bytes += wire.content().readableBytes();
            }
        } else if (part instanceof HttpResponse head) {
            sawHead(head);
        }
        if (part instanceof HttpContent content) {
            bytes += content.content().readableBytes();
        }
        client.write(part);
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        if (failed) {
            response.release();
            return;
        }
        sawHead(response);
        bytes += response.content().readableBytes();
        end(true);
        client.respond(response, keepAlive);
    }

    @Override
    public Channel upgrade(FullHttpResponse switching, ChannelHandler... handlers) {
        if (failed) {
            switching.release();
            return null;
        }
        sawHead(switching);
        Channel channel = client.upgrade(switching, handlers);
        if (channel == null) {
            status = 0;   // it did not switch: the exchange cuts the connection
        } else {
            end(true);
        }
        return channel;
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        if (!failed) {
            end(true);
            client.responseComplete(keepAlive);
        }
    }

    @Override
    public void abort() {
        if (!failed) {
            end(false);
            client.abort();
        }
    }

    private void sawHead(HttpResponse head) {
        status = head.status().code();
        if (head instanceof ErrorResponse own) {
            error = own.error().type();
        }
        if (head instanceof EncodedResponse encoded) {   // read without making its headers
            serverTiming = encoded.get(SERVER_TIMING);
            cache = encoded.get(X_CACHE);
        } else {
            serverTiming = head.headers().get(SERVER_TIMING);
            cache = head.headers().get(X_CACHE);
        }
    }

    private void end(boolean completed) {
        if (ended) {
            return;
        }
        ended = true;
        try {
            probe.at(Probe.Stage.LISTENERS);
            listener.requestEnded(new RequestSummary(client.remoteAddress(), method, pathOf(uri), route, upstream,
                    status == 0 ? RequestSummary.CLIENT_CLOSED : status, bytes, System.nanoTime() - startedNanos,
                    timing("queue;dur=", queueMillis), timing("upstream;dur=", upstreamMillis),
                    cache == null ? "-" : cache, completed, usage, caller, fallbacks, error));
        } catch (RuntimeException cause) {
            // the answer goes out all the same: the books are not worth a request
            log.warn("the metrics or the access log failed for {} {}: {}", method, pathOf(uri),
                    Crash.describe(cause));
        }
    }

    /** The path of the request target, without the query, which may carry keys. */
    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** A duration the gateway itself wrote into Server-Timing, else what the exchange told ({@code told}). */
    private long timing(String metric, long told) {
        int at = serverTiming == null ? -1 : serverTiming.indexOf(metric);
        if (at < 0) {
            return told;
        }
        long value = 0;
        for (int i = at + metric.length(); i < serverTiming.length(); i++) {
            char c = serverTiming.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    @Override
    public EventLoop eventLoop() {
        return client.eventLoop();
    }

    @Override
    public InetAddress remoteAddress() {
        return client.remoteAddress();
    }

    @Override
    public boolean keepAliveWanted() {
        return !failed && client.keepAliveWanted();
    }

    @Override
    public void progressed() {
        client.progressed();
    }

    @Override
    public void flush() {
        if (!failed) {
            client.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return failed || client.isWritable();
    }

    @Override
    public void suspendReading(boolean suspend) {
        if (!failed) {
            client.suspendReading(suspend);
        }
    }
}
