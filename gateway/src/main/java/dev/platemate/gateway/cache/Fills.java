package dev.platemate.gateway.cache;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Cache fills in flight, so identical concurrent misses make one upstream request: the first to miss leads the
 * fill, the others wait for it, each for a bounded time, after which it goes upstream itself. Thread-safe.
 */
public final class Fills {

    private final ConcurrentHashMap<CacheKey, Fill> inFlight = new ConcurrentHashMap<>();

    /** A caller's part in a fill. */
    public record Membership(Fill fill, boolean leader) {
    }

    /** Fills in flight now. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Joins the fill for {@code key}, leading it when there is none. */
    public Membership join(CacheKey key) {
        Fill mine = new Fill(key);
        Fill existing = inFlight.putIfAbsent(key, mine);
        return existing == null ? new Membership(mine, true) : new Membership(existing, false);
    }

    /** One upstream request that others wait on. */
    public final class Fill {
        private final CacheKey key;
        private final List<Waiter> waiters = new ArrayList<>();
        private boolean done;
        private CachedResponse result;

        private Fill(CacheKey key) {
            this.key = key;
        }

        /**
         * Waits, up to {@code timeoutNanos}, for the fill. {@code onDone} runs once on {@code loop}: with the stored
         * entry, or with null when the fill stored nothing or took too long.
         *
         * @return a handle to stop waiting (the client left)
         */
        public Runnable await(EventLoop loop, long timeoutNanos, Consumer<CachedResponse> onDone) {
            Waiter waiter = new Waiter(loop, onDone);
            CachedResponse ready;
            synchronized (this) {
                if (!done) {
                    waiters.add(waiter);
                    waiter.timeout = loop.schedule(() -> {
                        if (leave(waiter)) {
                            onDone.accept(null);
                        }
                    }, timeoutNanos, TimeUnit.NANOSECONDS);
                    return () -> leave(waiter);
                }
                ready = result;
            }
            loop.execute(() -> onDone.accept(ready));
            return () -> { };
        }

        /** The leader's fill ended: {@code entry} was stored, or null when nothing was. Waiters are told. */
        public void complete(CachedResponse entry) {
            List<Waiter> told;
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                result = entry;
                told = new ArrayList<>(waiters);
                waiters.clear();
            }
            inFlight.remove(key, this);
            for (Waiter waiter : told) {
                waiter.timeout.cancel(false);
                waiter.loop.execute(() -> waiter.onDone.accept(entry));
            }
        }

        private synchronized boolean leave(Waiter waiter) {
            if (waiters.remove(waiter)) {
                waiter.timeout.cancel(false);
                return true;
            }
            return false;
        }
    }

    private static final class Waiter {
        private final EventLoop loop;
        private final Consumer<CachedResponse> onDone;
        private ScheduledFuture<?> timeout;

        Waiter(EventLoop loop, Consumer<CachedResponse> onDone) {
            this.loop = loop;
            this.onDone = onDone;
        }
    }
}
