package dev.platemate.gateway.websocket;

import dev.platemate.gateway.server.Lifecycle;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of one side's pipeline once it speaks WebSocket: hands the session what happens on that side.
 * Per channel; event-loop only (both sides of a session share one loop).
 */
final class SideHandler extends ChannelInboundHandlerAdapter {

    private final Session session;
    private final Side side;

    SideHandler(Session session, Side side) {
        this.session = session;
        this.side = side;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session.attach(side, ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof WebSocketFrame frame) {
            try {
                session.frame(side, frame);
            } catch (Throwable cause) {
                session.failed(cause);
            }
        } else {
            ReferenceCountUtil.release(msg);   // an empty end of the 101, which the HTTP decoder left behind
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.readComplete(side);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.writabilityChanged(side);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.closed(side);
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Lifecycle.DRAIN) {
            session.goingAway("shutdown");
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupt) {
            session.broken(side, corrupt);
        } else {
            session.lost(side, cause);
        }
    }
}
