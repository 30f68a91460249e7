package dev.platemate.gateway.server;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import java.net.InetAddress;

/**
 * Stands between one exchange and its client connection and watches what passes: the status, the body bytes, the
 * gateway's own Server-Timing and X-Cache, and how the request ended. When it ends (response complete, cut, or
 * client gone) it tells the {@link RequestListener} exactly once. Event-loop only.
 */
final class ObservedExchange implements ClientSide, Exchange {

    private static final AsciiString SERVER_TIMING = AsciiString.cached("server-timing");
    private static final AsciiString X_CACHE = AsciiString.cached("x-cache");

    private final ClientSide client;
    private final RequestListener listener;
    private final String method;
    private final String uri;
    private final long startedNanos;
    private Exchange exchange;
    private String route = "-";
    private String upstream = "-";
    private int status;
    private long bytes;
    private String serverTiming;
    private String cache;
    private boolean ended;

    ObservedExchange(ClientSide client, RequestListener listener, String method, String uri) {
        this.client = client;
        this.listener = listener;
        this.method = method;
        this.uri = uri;
        this.startedNanos = System.nanoTime();
    }

    @Override
    public void routed(String route, String upstream) {
        this.route = route;
        this.upstream = upstream;
    }

    /** The exchange that serves the request; returns this, which stands for it towards the connection. */
    Exchange serving(Exchange exchange) {
        this.exchange = exchange;
        return this;
    }

    @Override
    public void onRequestContent(HttpContent content) {
        exchange.onRequestContent(content);
    }

    @Override
    public void abort(GatewayError error, String message) {
        exchange.abort(error, message);
    }

    @Override
    public void onClientWritabilityChanged() {
        exchange.onClientWritabilityChanged();
    }

    @Override
    public void onClientClosed() {
        end(false);
        exchange.onClientClosed();
    }

    @Override
    public void write(HttpObject part) {
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
        sawHead(response);
        bytes += response.content().readableBytes();
        end(true);
        client.respond(response, keepAlive);
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        end(true);
        client.responseComplete(keepAlive);
    }

    @Override
    public void abort() {
        end(false);
        client.abort();
    }

    private void sawHead(HttpResponse head) {
        status = head.status().code();
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
        listener.requestEnded(new RequestSummary(client.remoteAddress(), method, pathOf(uri), route, upstream,
                status == 0 ? RequestSummary.CLIENT_CLOSED : status, bytes, System.nanoTime() - startedNanos,
                timing("queue;dur="), timing("upstream;dur="), cache == null ? "-" : cache, completed));
    }

    /** The path of the request target, without the query, which may carry keys. */
    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** A duration the gateway itself wrote into Server-Timing, or -1. */
    private long timing(String metric) {
        int at = serverTiming == null ? -1 : serverTiming.indexOf(metric);
        if (at < 0) {
            return -1;
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
        return client.keepAliveWanted();
    }

    @Override
    public void flush() {
        client.flush();
    }

    @Override
    public boolean isWritable() {
        return client.isWritable();
    }

    @Override
    public void suspendReading(boolean suspend) {
        client.suspendReading(suspend);
    }
}
