package dev.platemate.gateway.pool;

import dev.platemate.gateway.wire.ProtocolSwitch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * One pooled upstream connection, and the last handler of its pipeline: it passes what the channel reads to the
 * exchange that holds the connection, and closes a connection that speaks out of turn or idles in the pool.
 * Per channel; all calls on the channel's event loop.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private final PerLoopChannelPool pool;
    private final int maxRequests;
    private final long responseIdleNanos;
    private final long poolIdleNanos;
    private final PlainResponses plainResponses;
    private final UpstreamResponseDecoder decoder;
    private Channel channel;
    private UpstreamListener listener;
    private boolean leased;
    private int requests;
    private long lastReadAt = System.nanoTime();
    private long idleSince = System.nanoTime();

    /**
     * @param responseIdleNanos the upstream's idle_timeout: silence while a response is expected
     * @param poolIdleNanos     pool.idle_timeout: how long it may sit unused in the pool
     */
    UpstreamConnection(PerLoopChannelPool pool, int maxRequests, long responseIdleNanos, long poolIdleNanos,
                       PlainResponses plainResponses, UpstreamResponseDecoder decoder) {
        this.pool = pool;
        this.maxRequests = maxRequests;
        this.responseIdleNanos = responseIdleNanos;
        this.poolIdleNanos = poolIdleNanos;
        this.plainResponses = plainResponses;
        this.decoder = decoder;
    }

    PlainResponses plainResponses() {
        return plainResponses;
    }

    UpstreamResponseDecoder decoder() {
        return decoder;
    }

    public Channel channel() {
        return channel;
    }

    /** Whether this connection served a request before the current one (so it may have gone stale meanwhile). */
    public boolean reused() {
        return requests > 1;
    }

    /**
     * Starts a request on this connection; its events go to {@code listener} until {@link #release}. The response
     * may come as {@link PlainHead} and {@link PlainBody} parts only if {@code plainAllowed}; otherwise, and when it
     * is not plain, as Netty's decoded objects.
     *
     * @param headRequest the request is a HEAD: its answer has no body
     */
    public void attach(UpstreamListener listener, boolean plainAllowed, boolean headRequest) {
        this.listener = listener;
        requests++;
        plainResponses.attach(plainAllowed && !headRequest);
        decoder.expectHead(headRequest);
    }

    /** The pool handed this connection out; the one who holds it now releases it once. */
    void leased() {
        leased = true;
    }

    /**
     * Gives the connection back. It returns to the pool only when {@code reusable} (response read completely, no
     * side said close), it is under max_requests_per_connection and no byte beyond the response was read (an
     * upstream that sent more than its Content-Length is out of step: the next response would be read from the
     * wrong place); otherwise it is closed. A second release is ignored.
     */
    public void release(boolean reusable) {
        if (!leased) {
            return;
        }
        leased = false;
        listener = null;
        boolean inStep = !plainResponses.detach() && !decoder.hasLeftovers();
        idleSince = System.nanoTime();
        pool.release(this, reusable && inStep && channel.isActive() && (maxRequests == 0 || requests < maxRequests));
    }

    /**
     * The upstream switched this connection to another protocol (a 101, read to its end): its HTTP handlers leave
     * the pipeline, {@code handlers} take their place, in order, and bytes read after the 101 go to them. It stays
     * leased, and counted as active, until {@link #release} closes it.
     */
    public void upgrade(ChannelHandler... handlers) {
        listener = null;
        ProtocolSwitch.replace(channel.pipeline(), "decoder", new String[] {"idle", "encoder", "connection",
                "plain"}, handlers);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadAt = System.nanoTime();
        if (msg instanceof LastHttpContent) {
            plainResponses.decoderEnded(); // before the listener, which may start the next request at once
        }
        UpstreamListener current = listener;
        if (current != null && msg instanceof HttpObject part) {
            try {
                current.onResponsePart(part);
            } catch (Throwable cause) {
                failed(ctx, current, cause);
            }
        } else {
            // bytes nobody asked for: this connection can no longer be trusted to frame the next response
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        if (current != null) {
            try {
                current.onUpstreamReadComplete();
            } catch (Throwable cause) {
                failed(ctx, current, cause);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        listener = null;
        if (current != null) {
            try {
                current.onUpstreamClosed();
            } catch (Throwable cause) {
                current.failed(cause);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        if (current != null) {
            try {
                current.onUpstreamWritabilityChanged();
            } catch (Throwable cause) {
                failed(ctx, current, cause);
            }
        }
    }

    /**
     * The exchange threw while handling this connection's event: the connection can no longer be trusted (it may
     * already be back in the pool), so it closes, and the exchange ends.
     */
    private void failed(ChannelHandlerContext ctx, UpstreamListener current, Throwable cause) {
        ctx.close();
        current.failed(cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            // fires every min(idle_timeout, pool.idle_timeout) without reads; the clocks here decide
            long now = System.nanoTime();
            if (listener == null && now - idleSince >= poolIdleNanos) {
                ctx.close(); // unused past pool.idle_timeout
            } else if (listener != null && now - lastReadAt >= responseIdleNanos) {
                UpstreamListener current = listener;
                try {
                    current.onUpstreamReadIdle();
                } catch (Throwable cause) {
                    failed(ctx, current, cause);
                }
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * A failure in the pipeline (TLS, the decoder): the connection closes, and the listener learns of it through
     * channelInactive; one that is not about the socket is the gateway's own, and ends the exchange as such.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener current = listener;
        if (current != null && !(cause instanceof IOException) && !(cause instanceof DecoderException)) {
            failed(ctx, current, cause);
        } else {
            ctx.close();
        }
    }
}
