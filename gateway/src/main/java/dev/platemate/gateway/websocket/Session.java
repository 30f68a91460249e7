package dev.platemate.gateway.websocket;

import dev.platemate.gateway.config.WebSocketConfig;
import dev.platemate.gateway.limiter.Permit;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayDeque;
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

    private record Early(Side from, WebSocketFrame frame) {
    }

    private final Origin origin;
    private final WebSocketConfig config;
    private final EventLoop loop;
    private final SessionBook book;
    private RouteSessions counts;
    private final UpstreamConnection connection;
    private final Permit permit;
    private final RealtimeUsage realtime;
    private final Consumer<TokenUsage> charge;
    private final Channel[] channels = new Channel[2];
    private final boolean[] flushDue = new boolean[2];
    private final long[] messageBytes = new long[2];
    private final long[] messages = new long[2];
    private final long[] bytes = new long[2];
    private final boolean[] heardClose = new boolean[2];
    private final boolean[] toldClose = new boolean[2];
    private final ArrayDeque<Early> early = new ArrayDeque<>();
    private final long startedNanos = System.nanoTime();
    private long lastFrameNanos = startedNanos;
    private boolean started;
    private boolean ended;
    private boolean gatewayClosing;
    private int closeCode = ABNORMAL;
    private String closedBy = "-";
    private String reason = "-";
    private Side offender;
    private String said;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> sessionTimer;
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
    }

    /** A side's handler joined its pipeline. */
    void attach(Side side, Channel channel) {
        channels[side.ordinal()] = channel;
    }

    /** Both sides switched: frames flow, and the session's clocks run. */
    void start() {
        started = true;
        counts = book.opened(origin.route());
        if (gatewayClosing) {
            closeBoth();   // closed while switching (a broken first frame): the side attached since hears it too
        } else {
            sessionTimer = loop.schedule(() -> goingAway("max_session"), config.maxSession().toNanos(),
                    TimeUnit.NANOSECONDS);
            idleTimer = loop.schedule(this::checkIdle, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        while (!early.isEmpty() && !ended) {
            Early frame = early.poll();
            frame(frame.from(), frame.frame());
        }
        for (Side side : Side.values()) {
            flush(side);
            if (!ended) {
                channel(side).config().setAutoRead(channel(side.other()).isWritable());
            }
        }
    }

    void frame(Side from, WebSocketFrame frame) {
        if (ended) {
            frame.release();
            return;
        }
        if (!started) {
            early.add(new Early(from, frame));   // read while the other side was still switching
            return;
        }
        lastFrameNanos = System.nanoTime();
        if (frame instanceof CloseWebSocketFrame close) {
            closeFrom(from, close);
            return;
        }
        if (gatewayClosing || heardClose[from.ordinal()]) {
            frame.release();   // nothing is sent after a close
            return;
        }
        boolean passes = false;
        try {
            passes = frame instanceof PingWebSocketFrame || frame instanceof PongWebSocketFrame || counted(from, frame);
        } finally {
            if (!passes) {
                frame.release();
            }
        }
        if (passes) {
            forward(from, frame);
        }
    }

    /** Counts a data frame; false (the session closing) when its message is too large. */
    private boolean counted(Side from, WebSocketFrame frame) {
        int i = from.ordinal();
        long size = frame.content().readableBytes();
        messageBytes[i] = (frame instanceof ContinuationWebSocketFrame ? messageBytes[i] : 0) + size;
        if (messageBytes[i] > config.maxMessageSize().bytes()) {
            refuse(from, 1009, "max_message_size", "a message larger than " + config.maxMessageSize());
            return false;
        }
        bytes[i] += size;
        if (frame.isFinalFragment()) {
            messages[i]++;
            counts.message(from, size);
        } else {
            counts.payload(from, size);
        }
        if (from == Side.UPSTREAM && frame instanceof TextWebSocketFrame && frame.isFinalFragment()) {
            TokenUsage used = realtime.read(frame.content());
            if (used != null) {
                charge.accept(used);
                book.tokensUsed(origin.upstream(), used);
            }
        }
        return true;
    }

    private void forward(Side from, WebSocketFrame frame) {
        Side to = from.other();
        Channel out = channel(to);
        out.write(frame, out.voidPromise());
        flushDue[to.ordinal()] = true;
        if (!out.isWritable()) {
            channel(from).config().setAutoRead(false);   // until the other side takes what it was sent
        }
    }

    /**
     * A close from {@code from}. The first one passes to the other side, whose answer passes back, and the session
     * ends; after the gateway's own close, it is the answer, and that side's connection closes.
     */
    private void closeFrom(Side from, CloseWebSocketFrame close) {
        int i = from.ordinal();
        if (heardClose[i]) {
            close.release();
            return;
        }
        heardClose[i] = true;
        if (gatewayClosing) {
            close.release();
            closeWhenFlushed(from);
            return;
        }
        if (close.statusCode() > 4999) {   // RFC 6455 defines none: not passed on
            close.release();
            refuse(from, 1002, "protocol_error", "close code " + close.statusCode() + " is not defined");
            return;
        }
        if (!heardClose[from.other().ordinal()]) {
            closeCode = close.statusCode() < 0 ? 1005 : close.statusCode();   // 1005: a close without a code
            closedBy = from.label();
        }
        toldClose[from.other().ordinal()] = true;
        forward(from, close);
        flush(from.other());
        if (heardClose[from.other().ordinal()]) {
            end();   // the answer to the other side's close
        } else {
            waitForClose();
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
        closeBoth(offender, code, why, text);
    }

    /** A side's frames could not be read (a protocol error, or a frame over the limit): the session ends. */
    void broken(Side side, CorruptedWebSocketFrameException cause) {
        int code = cause.closeStatus() == null ? 1002 : cause.closeStatus().code();
        refuse(side, code, code == 1009 ? "max_message_size" : "protocol_error", String.valueOf(cause.getMessage()));
        heardClose[side.ordinal()] = true;   // nothing more is read from it: it is not waited for
        closeWhenFlushed(side);
    }

    /** A side's connection failed (a reset, TLS): it closes, and the session ends with it. */
    void lost(Side side, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.debug("websocket {} side of {} failed: {}", side.label(), origin.route(), cause.toString());
        }
        Channel channel = channels[side.ordinal()];
        if (channel != null) {
            channel.close();
        }
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
        cancelClocks();
        closeBoth();
    }

    /** The gateway's close to each attached side not told yet; a side that answered already closes. */
    private void closeBoth() {
        for (Side side : Side.values()) {
            Channel channel = channels[side.ordinal()];
            if (channel == null) {
                continue;
            }
            if (!toldClose[side.ordinal()]) {
                toldClose[side.ordinal()] = true;
                channel.write(new CloseWebSocketFrame(side == offender ? closeCode : GOING_AWAY, said),
                        channel.voidPromise());
            }
            flushDue[side.ordinal()] = true;
            flush(side);
            if (heardClose[side.ordinal()]) {
                closeWhenFlushed(side);
            }
        }
        waitForClose();
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

    private void checkIdle() {
        long idleFor = System.nanoTime() - lastFrameNanos;
        long limit = config.idleTimeout().toNanos();
        if (idleFor >= limit) {
            goingAway("idle_timeout");
        } else if (!ended && !gatewayClosing) {
            idleTimer = loop.schedule(this::checkIdle, limit - idleFor, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelClocks() {
        for (ScheduledFuture<?> timer : new ScheduledFuture<?>[] {idleTimer, sessionTimer}) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /** Once: both connections close (after what was written), the slot goes back, the books hear of it. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        cancelClocks();
        if (closeTimer != null) {
            closeTimer.cancel(false);
        }
        while (!early.isEmpty()) {
            early.poll().frame().release();
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
        book.ended(counts, new SessionSummary(origin.client(), origin.path(), origin.route(), origin.upstream(),
                System.nanoTime() - startedNanos, messages[0], messages[1], bytes[0], bytes[1], closeCode, closedBy,
                reason, realtime.total()));
    }

    private Channel channel(Side side) {
        return channels[side.ordinal()];
    }
}
