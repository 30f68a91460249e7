package dev.platemate.gateway.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client connection's clocks, on one timer. {@code server.header_timeout}: a request head that has started to
 * arrive but is not complete in time gets 408 and the connection closes (slowloris); so does a request body that
 * stops arriving for as long while the gateway is reading it. {@code server.idle_timeout}: a keep-alive connection
 * with no request in flight and no head arriving is closed. The {@link Backstop}: an exchange whose request has
 * arrived whole but which makes no progress within its bounds is ended as failed (see {@link #awaitAnswer}). Sits
 * before the HTTP codec so it
 * sees the first byte of each head; {@link RequestGuard} reports where requests begin and end, and
 * {@link InboundHandler} when an exchange is in flight.
 *
 * <p>The timer is never cancelled per request: it fires at least every min(header_timeout, idle_timeout), decides,
 * and schedules itself again for the earliest deadline, so a busy connection pays one clock read per request.
 * Per channel; event-loop only.
 */
final class ClientTimeouts extends ChannelInboundHandlerAdapter {

    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final long cadenceNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> pending;
    private long headStartedAt = -1;
    private boolean receivingRequest;
    private boolean busy;
    private long idleSince;
    private long lastBodyReadAt;
    private Runnable onStall;
    private Backstop backstop;
    private long answerBy = -1;
    private int progress;
    private int progressSeen;
    private long progressAt;

    ClientTimeouts(long headerTimeoutNanos, long idleTimeoutNanos) {
        this.headerTimeoutNanos = headerTimeoutNanos;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.cadenceNanos = Math.min(headerTimeoutNanos, idleTimeoutNanos);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        idleSince = System.nanoTime();
        schedule(cadenceNanos);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (receivingRequest) {
            lastBodyReadAt = System.nanoTime();
        } else if (headStartedAt < 0) {
            headStartedAt = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    /** A whole request head was decoded; its body (if any) follows. */
    void headComplete() {
        headStartedAt = -1;
        receivingRequest = true;
        lastBodyReadAt = System.nanoTime();
    }

    /** The request's last byte arrived; the next byte starts a new head. */
    void requestReceived() {
        receivingRequest = false;
    }

    /** Whether an exchange is in flight; a connection is idle only when none is. */
    void busy(boolean inFlight) {
        busy = inFlight;
        if (!inFlight) {
            idleSince = System.nanoTime();
            answerBy = -1;
        }
    }

    /**
     * The request in flight has arrived whole: from now on its exchange is held to {@code bounds}. It must make
     * progress (see {@link #progressed}) within {@code answerWithinNanos}, and then never go without for
     * {@code stallNanos} while the client can take more; else {@code stalled} runs. Until the exchange ends.
     */
    void awaitAnswer(Backstop bounds, Runnable stalled) {
        long now = System.nanoTime();
        backstop = bounds;
        onStall = stalled;
        answerBy = now + bounds.answerWithinNanos();
        progressSeen = progress;
        progressAt = now;
    }

    /** The exchange in flight made progress: it wrote to the client, or read more of its response. No clock read. */
    void progressed() {
        progress++;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    /** The connection switched to another protocol (see InboundHandler#upgrade): its clocks are no longer ours. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    private void schedule(long delayNanos) {
        pending = ctx.executor().schedule(this::check, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void check() {
        pending = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (headStartedAt >= 0 && now - headStartedAt >= headerTimeoutNanos) {
            headStartedAt = -1;
            ctx.channel().config().setAutoRead(false);
            ctx.channel().writeAndFlush(Responses.closing(Responses.error(GatewayError.REQUEST_TIMEOUT,
                    "the request head did not arrive within the header timeout")))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (receivingRequest && !ctx.channel().config().isAutoRead()) {
            lastBodyReadAt = now; // the gateway itself holds the body back (backpressure): not the client's stall
        }
        if (receivingRequest && now - lastBodyReadAt >= headerTimeoutNanos) {
            receivingRequest = false;
            // through the pipeline, so the request in flight is aborted upstream and answered in order
            ctx.fireChannelRead(new RejectedRequest(GatewayError.REQUEST_TIMEOUT,
                    "the request body stopped arriving for longer than the header timeout"));
            return;
        }
        if (busy && answerBy >= 0 && stalled(now)) {
            answerBy = -1;
            onStall.run();
            if (!ctx.channel().isActive()) {
                return;
            }
        }
        boolean idle = !busy && headStartedAt < 0 && !receivingRequest;
        if (idle && now - idleSince >= idleTimeoutNanos) {
            ctx.close();
            return;
        }
        long next = now + cadenceNanos;
        if (headStartedAt >= 0) {
            next = Math.min(next, headStartedAt + headerTimeoutNanos);
        }
        if (receivingRequest) {
            next = Math.min(next, lastBodyReadAt + headerTimeoutNanos);
        }
        if (idle) {
            next = Math.min(next, idleSince + idleTimeoutNanos);
        }
        if (busy && answerBy >= 0) {
            next = Math.min(next, Math.max(answerBy, progressAt + backstop.stallNanos()));
        }
        schedule(next - now);
    }

    /** Whether the exchange in flight is past its backstop: no progress in time, and not held back by the client. */
    private boolean stalled(long now) {
        if (progress != progressSeen) {
            progressSeen = progress;
            progressAt = now;
        }
        if (!ctx.channel().isWritable()) {
            progressAt = now; // the client is not taking what it was sent: not the exchange's stall
        }
        return now >= answerBy && now - progressAt >= backstop.stallNanos();
    }
}
