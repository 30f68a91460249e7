package dev.platemate.gateway.websocket;

import dev.platemate.gateway.config.WebSocketConfig;
import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket session between a client and an upstream, once both switched: every frame passes as it came (its
 * fragments, pings and pongs, close codes), and one side is read only while the other takes what it is sent
 * (backpressure), within the route's limits. It ends once: both closes passed, a side went, or, after the gateway
 * closed it (a limit, shutdown), both answered or {@link #CLOSE_WAIT_NANOS} passed. Then both connections close, the
 * slot goes back and the books hear of it. Event-loop only: both sides live on the client's loop.
 */
final class Session {

    /** How long a close may wait for its answer before the connections are cut. */
    static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final int GOING_AWAY = 1001;
    static final int ABNORMAL = 1006;

    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** Who the session is for, for the books. */
    record Origin(InetAddress client, String path, String route, String upstream) {
    }

    private final Origin origin;
    private final WebSocketConfig config;
    private final EventLoop loop;
    private final SessionBook book;
    private RouteSessions counts;
    private final Traffic traffic;
    private final SessionClocks clocks;
    private final UpstreamConnection connection;
    private final Permit permit;
    private final RealtimeUsage realtime;
    private final Consumer<TokenUsage> charge;
    private final Channel[] channels = new Channel[2];
    private final boolean[] flushDue = new boolean[2];
    private final boolean[] heardClose = new boolean[2];
    private final boolean[] toldClose = new boolean[2];
    private final boolean[] closeDue = new boolean[2];
    private final SideHandler[] handlers = new SideHandler[2];
    private final long startedNanos = System.nanoTime();
    private boolean started;
    private boolean ended;
    private boolean gatewayClosing;
    private int closeCode = ABNORMAL;
    private String closedBy = "-";
    private String reason = "-";
    private Side offender;
    private String said;
    private ScheduledFuture<?> closeTimer;

    /**
     * @param permit   the route's limiter slot, held for the session's life (null without a limiter)
     * @param realtime reads the Realtime usage of the upstream's events
     * @param charge   books the tokens of each Realtime response (the token buckets)
     */
    Session(Origin origin, WebSocketConfig config, EventLoop loop, SessionBook book, UpstreamConnection connection,
            Permit permit, RealtimeUsage realtime, Consumer<TokenUsage> charge) {
        this.origin = origin;
        this.config = config;
        this.loop = loop;
        this.book = book;
        this.connection = connection;
        this.permit = permit;
        this.realtime = realtime;
        this.charge = charge;
        this.traffic = new Traffic(config.maxMessageSize().bytes(), realtime);
        this.clocks = new SessionClocks(loop, config.idleTimeout(), config.maxSession(), this::goingAway);
    }

    /** A side's handler joined its pipeline. */
    void attach(Side side, Channel channel, SideHandler handler) {
        channels[side.ordinal()] = channel;
        handlers[side.ordinal()] = handler;
    }

    boolean started() {
        return started;
    }

    /** Both sides switched: what they read meanwhile goes, frames flow, and the session's clocks run. */
    void start() {
        started = true;
        counts = book.opened(origin.route());
        traffic.bookedIn(counts);
        if (gatewayClosing) {
            closeBoth();   // closed while switching (a broken first frame): the side attached since hears it too
        } else {
            clocks.start();
        }
        for (SideHandler handler : handlers) {
            handler.resume();
        }
        for (Side side : Side.values()) {
            flush(side);
            if (!ended) {
                channel(side).config().setAutoRead(channel(side.other()).isWritable());
            }
        }
    }

    /** The head of a data frame from {@code from}: see {@link Traffic#head} (its bytes then go through pass). */
    int dataHead(Side from, int opcode, boolean fin, long length) {
        return traffic.head(from, opcode, fin, length, !ended && !gatewayClosing && !heardClose[from.ordinal()]);
    }

    /**
     * Bytes from {@code from} to pass on as they came (ownership passes): frames, whole or in part, pings and pongs
     * whole. Once the gateway closes, only the rest of a frame already part way through to the other side passes,
     * before the close.
     */
    void pass(Side from, ByteBuf frames) {
        boolean finishing = gatewayClosing && closeDue[from.other().ordinal()];
        if (ended || heardClose[from.ordinal()] || gatewayClosing && !finishing) {
            frames.release();   // nothing is sent after a close
            return;
        }
        clocks.activity();   // a long frame passing is not idle
        forward(from, frames);
    }

    /** Whether the gateway is closing the session (its handlers then pass each frame's bytes as it ends). */
    boolean closing() {
        return gatewayClosing;
    }

    /** A data frame from {@code from} ended: a close of the gateway's held back for it goes now. */
    void frameEnded(Side from) {
        Side to = from.other();
        if (closeDue[to.ordinal()]) {
            closeDue[to.ordinal()] = false;
            writeClose(to);
        }
    }

    /** A piece of the payload of an upstream text message of one frame (not consumed). */
    void payload(Side from, ByteBuf piece) {
        realtime.feed(piece);
    }

    /** That message is whole. */
    void payloadEnd(Side from) {
        TokenUsage used = realtime.end();
        if (used != null && !ended) {
            charge.accept(used);
            book.tokensUsed(origin.upstream(), used);
        }
    }

    /**
     * A close from {@code from}, whole (ownership passes), with its code (-1: none). The first one passes to the other side, whose answer
     * passes back, and the session ends; after the gateway's own close, it is the answer, and that side's
     * connection closes.
     */
    void closeHeard(Side from, int code, String reason, ByteBuf frame) {
        clocks.activity();
        int i = from.ordinal();
        if (ended || heardClose[i]) {
            frame.release();
            return;
        }
        heardClose[i] = true;
        if (gatewayClosing) {
            frame.release();
            if (!closeDue[i]) {
                closeWhenFlushed(from);   // the answer to the gateway's close (else it closes once that is written)
            }
            return;
        }
        Side other = from.other();
        if (!heardClose[other.ordinal()]) {
            closeCode = code < 0 ? CloseFrames.NO_CODE : code;
            closedBy = from.label();
        }
        toldClose[other.ordinal()] = true;
        forward(from, frame);
        flush(other);
        if (heardClose[other.ordinal()]) {
            end();   // the answer to the other side's close
        } else {
            waitForClose();
        }
    }

    private void forward(Side from, ByteBuf bytes) {
        Side to = from.other();
        Channel out = channel(to);
        out.write(bytes, out.voidPromise());
        flushDue[to.ordinal()] = true;
        if (!out.isWritable()) {
            channel(from).config().setAutoRead(false);   // until the other side takes what it was sent
        }
    }

    void readComplete(Side from) {
        flush(from.other());
    }

    private void flush(Side side) {
        int i = side.ordinal();
        if (flushDue[i]) {
            flushDue[i] = false;
            channels[i].flush();
        }
    }

    /** A side's connection can take more, or not: reading the other side follows it. */
    void writabilityChanged(Side side) {
        Channel changed = channels[side.ordinal()];
        Channel source = channels[side.other().ordinal()];
        if (started && !ended && changed != null && source != null && changed.isWritable()) {
            source.config().setAutoRead(true);
        }
    }

    /** A side's connection closed. */
    void closed(Side side) {
        if (ended) {
            return;
        }
        if (gatewayClosing) {
            Channel other = channels[side.other().ordinal()];
            if (other == null || !other.isActive()) {
                end();
            }
            return;
        }
        if (!heardClose[0] && !heardClose[1]) {
            closedBy = side.label();   // it went without a close
            closeCode = ABNORMAL;
        }
        end();
    }

    /** The gateway ends the session: close 1001 (going away) to both sides. */
    void goingAway(String why) {
        closeBoth(null, GOING_AWAY, why, switch (why) {
            case "idle_timeout" -> "no frame either way within idle_timeout";
            case "max_session" -> "the session lasted max_session";
            default -> "the gateway is shutting down";
        });
    }

    /** A side sent what the gateway will not pass: it gets {@code code}, the other side 1001. */
    private void refuse(Side offender, int code, String why, String text) {
        heardClose[offender.ordinal()] = true;   // nothing more is read from it: it is not waited for
        if (!gatewayClosing) {
            closeBoth(offender, code, why, text);   // its connection closes once the close is written
        } else if (!closeDue[offender.ordinal()]) {
            closeWhenFlushed(offender);
        }
    }

    /** A message from {@code side} over max_message_size: close 1009 to it, 1001 to the other side. */
    void tooBig(Side side) {
        refuse(side, 1009, "max_message_size", "a message larger than " + config.maxMessageSize());
    }

    /** A side's frames break the protocol: {@code code} (1002) to it, 1001 to the other side. */
    void broken(Side side, int code, String why) {
        refuse(side, code, "protocol_error", why);
    }

    /**
     * Something threw in the gateway while handling a frame or switching (or, with null, the client could not switch):
     * both connections are cut, the slot and the upstream connection go back.
     */
    void failed(Throwable cause) {
        if (cause != null) {
            log.warn("websocket session on {} failed inside the gateway: {}", origin.route(), cause.toString());
        }
        if (!ended && closedBy.equals("-")) {
            closedBy = "gateway";
            reason = "internal_error";
            closeCode = ABNORMAL;
        }
        end();
    }

    private void closeBoth(Side offender, int code, String why, String text) {
        if (ended || gatewayClosing) {
            return;
        }
        gatewayClosing = true;
        closedBy = "gateway";
        reason = why;
        closeCode = code;
        this.offender = offender;
        said = text.length() > 120 ? text.substring(0, 120) : text;   // a close reason is at most 123 bytes
        clocks.stop();
        closeBoth();
    }

    /**
     * The gateway's close to each attached side not told yet, after the frame passing to it part way, if one is;
     * a side that answered already closes. Both sides are read again: their answers are awaited, and all else is
     * dropped.
     */
    private void closeBoth() {
        for (Side side : Side.values()) {
            Channel channel = channels[side.ordinal()];
            if (channel == null) {
                continue;
            }
            channel.config().setAutoRead(true);
            if (!toldClose[side.ordinal()]) {
                toldClose[side.ordinal()] = true;
                SideHandler source = handlers[side.other().ordinal()];
                if (source != null && source.midFrame()) {
                    closeDue[side.ordinal()] = true;   // the close goes once that frame has passed
                    continue;
                }
                writeClose(side);
            } else if (heardClose[side.ordinal()]) {
                closeWhenFlushed(side);
            }
        }
        waitForClose();
    }

    private void writeClose(Side side) {
        Channel channel = channels[side.ordinal()];
        channel.write(CloseFrames.encode(channel.alloc(), side == offender ? closeCode : GOING_AWAY, said,
                side == Side.UPSTREAM), channel.voidPromise());
        flushDue[side.ordinal()] = true;
        flush(side);
        if (heardClose[side.ordinal()]) {
            closeWhenFlushed(side);
        }
    }

    private void waitForClose() {
        if (closeTimer == null) {
            closeTimer = loop.schedule(this::end, CLOSE_WAIT_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    private void closeWhenFlushed(Side side) {
        Channel channel = channels[side.ordinal()];
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Once: both connections close (after what was written), the slot goes back, the books hear of it. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        clocks.stop();
        if (closeTimer != null) {
            closeTimer.cancel(false);
        }
        for (Side side : Side.values()) {
            closeWhenFlushed(side);
            Channel channel = channels[side.ordinal()];
            if (channel != null && channel.isActive()) {   // a peer that reads nothing never lets the flush end
                loop.schedule(() -> {
                    channel.close();
                }, CLOSE_WAIT_NANOS, TimeUnit.NANOSECONDS);
            }
        }
        Channel upstream = channels[Side.UPSTREAM.ordinal()];
        if (upstream != null) {
            upstream.closeFuture().addListener(closed -> connection.release(false));
        } else {
            connection.release(false);
        }
        if (permit != null) {
            permit.release();
        }
        if (counts == null) {
            return;   // it never started: nothing was booked
        }
        book.ended(counts, traffic.summary(origin, System.nanoTime() - startedNanos, closeCode, closedBy, reason));
    }

    private Channel channel(Side side) {
        return channels[side.ordinal()];
    }
}
