package dev.platemate.gateway.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import java.net.InetAddress;

/**
 * A client side that stands in front of another and passes everything on to it, the defaults of
 * {@link ClientSide} included: a decorator overrides only what it changes, and nothing it does not know of is
 * lost on the way (a usage, a timing, a fallback step).
 */
public abstract class ForwardingClientSide implements ClientSide {

    protected final ClientSide real;

    protected ForwardingClientSide(ClientSide real) {
        this.real = real;
    }

    @Override
    public EventLoop eventLoop() {
        return real.eventLoop();
    }

    @Override
    public InetAddress remoteAddress() {
        return real.remoteAddress();
    }

    @Override
    public boolean keepAliveWanted() {
        return real.keepAliveWanted();
    }

    @Override
    public void write(HttpObject part) {
        real.write(part);
    }

    @Override
    public void flush() {
        real.flush();
    }

    @Override
    public void progressed() {
        real.progressed();
    }

    @Override
    public boolean isWritable() {
        return real.isWritable();
    }

    @Override
    public void suspendReading(boolean suspend) {
        real.suspendReading(suspend);
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        real.responseComplete(keepAlive);
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        real.respond(response, keepAlive);
    }

    @Override
    public void routed(String route, String upstream) {
        real.routed(route, upstream);
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        real.timed(queueMillis, upstreamMillis);
    }

    @Override
    public void fellBack(String from, String to, String reason) {
        real.fellBack(from, to, reason);
    }

    @Override
    public void identified(String caller) {
        real.identified(caller);
    }

    @Override
    public void metered(TokenUsage usage) {
        real.metered(usage);
    }

    @Override
    public Channel upgrade(FullHttpResponse switching, ChannelHandler... handlers) {
        return real.upgrade(switching, handlers);
    }

    @Override
    public void abort() {
        real.abort();
    }

    @Override
    public void fail(Throwable cause) {
        real.fail(cause);
    }
}
