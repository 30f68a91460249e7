package dev.platemate.gateway.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Answers 408 and closes when a request head has started to arrive but is not complete within
 * {@code server.header_timeout} (slowloris). Sits before the HTTP codec so it sees the first byte of each head;
 * {@link RequestGuard} tells it when a head is complete and {@link InboundHandler} when the next one may start.
 * An idle keep-alive connection with no bytes is the idle timeout's business, not this one's.
 */
final class HeaderTimeoutHandler extends ChannelInboundHandlerAdapter {

    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean inRequest;

    HeaderTimeoutHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!inRequest && timer == null) {
            timer = ctx.executor().schedule(this::expired, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** A whole request head was decoded. */
    void headComplete() {
        inRequest = true;
        cancel();
    }

    /** The current request is over; the next bytes start a new head. */
    void requestDone() {
        inRequest = false;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void expired() {
        timer = null;
        if (!inRequest && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(false);
            ctx.channel().writeAndFlush(Responses.closing(Responses.error(GatewayError.REQUEST_TIMEOUT,
                            "the request head did not arrive within the header timeout")))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
