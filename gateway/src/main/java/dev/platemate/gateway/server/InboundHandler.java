package dev.platemate.gateway.server;

import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.wire.ProtocolSwitch;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last inbound handler of a client connection: serves its requests one at a time, in order. Pipelined
 * requests wait here until the one before them has been answered; reading pauses when too many wait. Owns the
 * keep-alive decision and the connection's share of {@link Lifecycle#inFlight()}. Per channel.
 */
final class InboundHandler extends ChannelInboundHandlerAdapter implements ClientSide {

    /** Pipelined messages held before reading pauses. */
    private static final int MAX_PIPELINED = 64;
    private static final Logger log = LoggerFactory.getLogger(InboundHandler.class);
    /** What leaves the pipeline, beside the decoder, when the connection switches protocols. */
    private static final String[] HTTP_HANDLERS = {"inbound", "guard", "encoder", "timeouts"};

    private final RequestDispatcher dispatcher;
    private final RequestListener listener;
    private final Lifecycle lifecycle;
    private final ClientTimeouts timeouts;
    private final ResponseEncoder encoder;
    private final Probe probe;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private boolean requestDone;
    private boolean responseDone;
    private boolean requestKeepAlive;
    private boolean closing;
    private boolean replaying;
    private boolean pausedForPipelining;
    private boolean suspendedByExchange;
    private boolean responseStarted;

    InboundHandler(RequestDispatcher dispatcher, RequestListener listener, Lifecycle lifecycle,
                   ClientTimeouts timeouts, ResponseEncoder encoder, Probe probe) {
        this.dispatcher = dispatcher;
        this.listener = listener;
        this.lifecycle = lifecycle;
        this.timeouts = timeouts;
        this.encoder = encoder;
        this.probe = probe;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            read(msg);
        } catch (Throwable cause) {
            crashed(cause);
        }
    }

    private void read(Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (exchange != null && requestDone) {
            pipelined.add(msg);
            if (pipelined.size() >= MAX_PIPELINED) {
                pausedForPipelining = true;
                updateReading();
            }
        } else {
            handle(msg);
        }
    }

    private void handle(Object msg) {
        if (msg instanceof RejectedRequest rejected) {
            reject(rejected);
        } else if (msg instanceof HttpRequest request) {
            start(request);
            if (msg instanceof LastHttpContent) {
                requestEnded();
            }
        } else if (msg instanceof HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            if (exchange != null && !responseDone) {
                exchange.onRequestContent(content);
            } else {
                content.release();
            }
            if (last && exchange != null) {
                requestEnded();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(HttpRequest request) {
        lifecycle.requestStarted();
        timeouts.busy(true);
        requestDone = false;
        responseDone = false;
        requestKeepAlive = HttpUtil.isKeepAlive(request);
        encoder.answering(request.method());
        if (HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
        responseStarted = false;
        // Set before dispatch: a local answer completes inside dispatch() and must find its exchange in place.
        ObservedExchange observed = new ObservedExchange(this, listener, probe, request.method().name(),
                request.uri());
        exchange = observed;
        observed.serving(dispatcher.dispatch(request, observed));
    }

    private void reject(RejectedRequest rejected) {
        closing = true;
        if (exchange != null && !requestDone) {
            // the request being served broke mid-body: the exchange answers if it still can, then we close
            exchange.abort(rejected.error(), rejected.message());
            ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        lifecycle.requestStarted();
        timeouts.busy(true);
        encoder.answering(null);
        requestKeepAlive = false;
        requestDone = true;
        responseStarted = false;
        ObservedExchange observed = new ObservedExchange(this, listener, probe, "-", "-");
        exchange = observed;
        observed.serving(LocalExchange.respond(observed, Responses.error(rejected.error(), rejected.message()), false));
    }

    private void requestEnded() {
        requestDone = true;
        if (!responseDone) {
            timeouts.awaitAnswer(dispatcher.backstop(), this::stalled);
        }
        finishIfDone();
    }

    /** The backstop: the exchange in flight made no progress within its bounds; it ends as failed. */
    private void stalled() {
        crashed(new StalledExchangeException(exchange instanceof ObservedExchange ? "it made no progress within "
                + "the backstop's bounds, past every deadline of its route" : "no exchange"));
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        responseDone = true;
        if (!keepAlive) {
            closing = true;
            ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            end();
            return;
        }
        finishIfDone();
    }

    private void finishIfDone() {
        if (!requestDone || !responseDone || exchange == null) {
            return;
        }
        end();
        if (lifecycle.draining()) {
            closing = true;
            ctx.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        replayPipelined();
    }

    /** Serves what was pipelined behind the request that just ended, up to the next request still in flight. */
    private void replayPipelined() {
        if (replaying) {
            return; // an exchange finished synchronously while replaying; the loop below goes on
        }
        replaying = true;
        try {
            while (!closing && !pipelined.isEmpty() && (exchange == null || !requestDone)) {
                try {   // started from the end of the one before, perhaps deep in its upstream: a failure is its own
                    handle(pipelined.poll());
                } catch (Throwable cause) {
                    crashed(cause);
                }
            }
        } finally {
            replaying = false;
        }
        if (pausedForPipelining && pipelined.size() < MAX_PIPELINED) {
            pausedForPipelining = false;
            updateReading();
        }
    }

    /** The exchange is over for this connection's books, whatever state the channel is in. */
    private void end() {
        if (exchange != null) {
            exchange = null;
            lifecycle.requestEnded();
            timeouts.busy(false);
        }
        if (suspendedByExchange) {
            suspendedByExchange = false;
            updateReading();
        }
    }

    @Override
    public void suspendReading(boolean suspend) {
        if (suspendedByExchange != suspend) {
            suspendedByExchange = suspend;
            updateReading();
        }
    }

    private void updateReading() {
        ctx.channel().config().setAutoRead(!suspendedByExchange && !pausedForPipelining);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        Exchange current = exchange;
        end();
        if (current != null) {
            try {
                current.onClientClosed();
            } catch (Throwable cause) {
                log.warn("releasing a request whose client left failed: {}", Crash.describe(cause));
            }
        }
        while (!pipelined.isEmpty()) {
            ReferenceCountUtil.release(pipelined.poll());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        try {
            if (exchange != null) {
                exchange.onClientWritabilityChanged();
            }
        } catch (Throwable cause) {
            crashed(cause);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Lifecycle.DRAIN && exchange == null) {
            ctx.close();
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            crashed(cause);
        }
    }

    /**
     * Something threw on the path of the request being served (or, between requests, in the pipeline): its
     * exchange ends through {@link ObservedExchange#fail}, which logs it and calls {@link #fail} here.
     */
    private void crashed(Throwable cause) {
        if (exchange instanceof ObservedExchange observed) {
            observed.fail(cause);
        } else {
            log.warn("client connection {} failed inside the gateway: {}", ctx.channel().remoteAddress(),
                    Crash.describe(cause));
            fail(cause);
        }
    }

    /**
     * Ends the request being served after a failure inside the gateway: a 500 if no byte of its response was
     * written, else a cut connection. The connection closes either way, since its state is no longer known.
     */
    @Override
    public void fail(Throwable cause) {
        boolean started = responseStarted;
        closing = true;
        ctx.channel().config().setAutoRead(false);
        end();
        if (started || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        responseStarted = true;
        ctx.writeAndFlush(Responses.closing(Responses.error(GatewayError.INTERNAL_ERROR,
                "the gateway failed while serving this request; it was not completed")))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public void write(HttpObject part) {
        responseStarted = true;
        timeouts.progressed();
        ctx.write(part, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void progressed() {
        timeouts.progressed();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public InetAddress remoteAddress() {
        return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    }

    @Override
    public boolean keepAliveWanted() {
        return requestKeepAlive && !closing && !lifecycle.draining();
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        boolean open = keepAlive && keepAliveWanted();
        if (!open) {
            Responses.closing(response);
        }
        responseStarted = true;
        ctx.writeAndFlush(response, ctx.voidPromise());
        responseComplete(open);
    }

    @Override
    public Channel upgrade(FullHttpResponse switching, ChannelHandler... handlers) {
        Channel channel = ctx.channel();
        if (closing || !requestDone || !pipelined.isEmpty() || !channel.isActive()) {
            switching.release();
            return null;
        }
        closing = true;   // for HTTP: nothing more of it is read here
        ctx.writeAndFlush(switching, ctx.voidPromise());   // encoded now, before the encoder leaves
        exchange = null;
        timeouts.busy(false);
        ProtocolSwitch.replace(ctx.pipeline(), "decoder", HTTP_HANDLERS, handlers);
        lifecycle.switched(channel);
        return channel;
    }

    @Override
    public void abort() {
        closing = true;
        ctx.close();
    }
}
