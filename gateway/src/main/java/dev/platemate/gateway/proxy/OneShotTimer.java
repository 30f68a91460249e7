package dev.platemate.gateway.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A timeout on an event loop, pending at most once at a time. Event-loop only. */
final class OneShotTimer {

    private final EventLoop loop;
    private final long delayNanos;
    private final Runnable action;
    private ScheduledFuture<?> pending;

    OneShotTimer(EventLoop loop, long delayNanos, Runnable action) {
        this.loop = loop;
        this.delayNanos = delayNanos;
        this.action = action;
    }

    /** Starts counting, unless already counting. */
    void arm() {
        if (pending == null) {
            pending = loop.schedule(this::fire, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    private void fire() {
        pending = null;
        action.run();
    }
}
