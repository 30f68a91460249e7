package dev.platemate.gateway.websocket;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A session's two clocks: {@code max_session} from its start, and {@code idle_timeout} since its last frame
 * either way (a frame's payload passing counts). When one runs out, the session is told why (max_session,
 * idle_timeout). One per session; event-loop only.
 */
final class SessionClocks {

    private final EventLoop loop;
    private final long idleNanos;
    private final long maxNanos;
    private final Consumer<String> expired;
    private long lastFrameNanos = System.nanoTime();
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> sessionTimer;
    private boolean stopped;

    SessionClocks(EventLoop loop, Duration idleTimeout, Duration maxSession, Consumer<String> expired) {
        this.loop = loop;
        this.idleNanos = idleTimeout.toNanos();
        this.maxNanos = maxSession.toNanos();
        this.expired = expired;
    }

    void start() {
        sessionTimer = loop.schedule(() -> expire("max_session"), maxNanos, TimeUnit.NANOSECONDS);
        idleTimer = loop.schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
    }

    /** A frame, or part of one, passed: the session is not idle. */
    void activity() {
        lastFrameNanos = System.nanoTime();
    }

    void stop() {
        stopped = true;
        for (ScheduledFuture<?> timer : new ScheduledFuture<?>[] {idleTimer, sessionTimer}) {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    private void checkIdle() {
        long idleFor = System.nanoTime() - lastFrameNanos;
        if (idleFor >= idleNanos) {
            expire("idle_timeout");
        } else if (!stopped) {
            idleTimer = loop.schedule(this::checkIdle, idleNanos - idleFor, TimeUnit.NANOSECONDS);
        }
    }

    private void expire(String why) {
        if (!stopped) {
            stop();
            expired.accept(why);
        }
    }
}
