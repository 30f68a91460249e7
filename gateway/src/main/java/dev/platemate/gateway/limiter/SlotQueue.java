package dev.platemate.gateway.limiter;

import dev.platemate.gateway.config.LimiterConfig;
import dev.platemate.gateway.measure.RecentSamples;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A limiter as a FIFO queue in front of a slot count. Every change happens under the queue's lock and decides a
 * waiter's fate by taking it out of the queue, so each waiter gets exactly one outcome; listeners are called after
 * the lock, on the waiter's own event loop. A permit releases once. A pause (an upstream 429) holds all dispatch
 * until it ends; the request that met it goes first afterwards.
 *
 * <p>With {@link SharedSlots}, the head of the queue also needs a lease from the count all replicas share: one
 * request for a lease is in flight at a time, so the queue stays FIFO. When every shared slot is taken, the queue
 * asks again after {@link #POLL} or as soon as one of its own slots is released. When the shared count does not
 * answer, the queue counts alone, up to its fallback share, for {@link #FALLBACK}, then asks again.
 */
final class SlotQueue implements Limiter {

    static final long POLL = TimeUnit.MILLISECONDS.toNanos(20);
    static final long FALLBACK = TimeUnit.SECONDS.toNanos(1);

    private final Ticker ticker;
    private final EventExecutor timer;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private final DrainRate drainRate = new DrainRate();
    /** The most recent queue waits, in milliseconds, for p50 and p99. */
    private final RecentSamples waits = new RecentSamples(1024);
    private final SharedSlots shared;
    private volatile LimiterConfig config;
    private int active;
    private long total;
    private long rejected;
    private long timedOut;
    private long cancelled;
    private long pausedUntil;
    private boolean pauseWakeUpScheduled;
    private boolean asking;
    private boolean pollScheduled;
    private long alone = Long.MIN_VALUE;

    /**
     * @param timer  runs the wake-up at the end of a pause, and the polls of the shared count
     * @param shared the slot count replicas share, or null to count here alone
     */
    SlotQueue(LimiterConfig config, Ticker ticker, EventExecutor timer, SharedSlots shared) {
        this.config = config;
        this.ticker = ticker;
        this.timer = timer;
        this.shared = shared;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public LimiterConfig config() {
        return config;
    }

    /** The fallback Retry-After, when nothing has drained lately. */
    private long queueTimeoutSeconds() {
        return Math.max(1, config.queueTimeout().toSeconds());
    }

    @Override
    public Ticket acquire(EventLoop loop, SlotListener listener, long deadlineNanos) {
        Waiter waiter = new Waiter(loop, listener, deadlineNanos, ticker.read());
        List<Waiter> granted = new ArrayList<>(1);
        long retryAfter = 0;
        boolean ask = false;
        synchronized (this) {
            long now = ticker.read();
            if (queue.size() >= config.maxQueue() && !(queue.isEmpty() && canDispatch(now))) {
                rejected++;
                retryAfter = drainRate.secondsFor(queue.size() + 1, now, queueTimeoutSeconds());
            } else {
                queue.addLast(waiter);
                ask = dispatch(now, granted);
            }
        }
        if (retryAfter > 0) {
            waiter.refuse(Rejection.QUEUE_FULL, retryAfter);
            return waiter;
        }
        waiter.armTimeout(this);
        afterLock(granted, ask);
        return waiter;
    }

    /** Outside the lock: tells the granted waiters, and asks the shared count for a lease if dispatch wants one. */
    private void afterLock(List<Waiter> granted, boolean ask) {
        granted.forEach(Waiter::grant);
        if (ask) {
            shared.tryAcquire(config.name(), config.maxConcurrent()).whenComplete(this::leaseAnswered);
        }
    }

    /** The shared count answered: a lease for the head of the queue, null when all are taken, or an error. */
    private void leaseAnswered(SharedSlots.Lease lease, Throwable error) {
        List<Waiter> granted = new ArrayList<>(1);
        SharedSlots.Lease unused = null;
        boolean ask = false;
        synchronized (this) {
            asking = false;
            long now = ticker.read();
            if (error != null) {
                alone = now + FALLBACK;
                ask = dispatch(now, granted);
            } else if (lease == null) {
                schedulePoll();
            } else if (!queue.isEmpty() && canDispatch(now)) {
                grantHead(now, granted, lease);
                ask = dispatch(now, granted);
            } else {
                unused = lease;
            }
        }
        if (unused != null) {
            unused.release();
        }
        afterLock(granted, ask);
    }

    /** Under the lock: asks the shared count again in a moment, while anyone waits. */
    private void schedulePoll() {
        if (!pollScheduled && !queue.isEmpty()) {
            pollScheduled = true;
            timer.schedule(() -> dispatchAfter(() -> pollScheduled = false), POLL, TimeUnit.NANOSECONDS);
        }
    }

    /** Makes {@code change} and dispatches, under the lock; then tells whom it concerns. */
    private void dispatchAfter(Runnable change) {
        List<Waiter> granted = new ArrayList<>(1);
        boolean ask;
        synchronized (this) {
            change.run();
            ask = dispatch(ticker.read(), granted);
        }
        afterLock(granted, ask);
    }

    /**
     * Under the lock: hands free slots to the head of the queue, unless paused. When the slots are counted with
     * other replicas, it hands none itself.
     *
     * @return whether to ask the shared count for a lease (the caller does, after the lock)
     */
    private boolean dispatch(long now, List<Waiter> granted) {
        boolean ask = false;
        while (!queue.isEmpty() && canDispatch(now)) {
            if (shared != null && now >= alone) {
                ask = !asking;
                asking = true;
                break;
            }
            grantHead(now, granted, null);
        }
        if (!queue.isEmpty() && now < pausedUntil && !pauseWakeUpScheduled) {
            pauseWakeUpScheduled = true;
            timer.schedule(this::pauseEnded, pausedUntil - now, TimeUnit.NANOSECONDS);
        }
        return ask;
    }

    /** Under the lock: the head of the queue gets a slot, with its shared lease if it has one. */
    private void grantHead(long now, List<Waiter> granted, SharedSlots.Lease lease) {
        Waiter waiter = queue.poll();
        active++;
        total++;
        waits.add((now - waiter.queuedAt) / 1_000_000L);
        waiter.permit = waiter.new OncePermit(lease);
        granted.add(waiter);
        if (shared != null && lease == null) {
            shared.fellBack();
        }
    }

    private boolean canDispatch(long now) {
        int slots = shared != null && now < alone ? shared.fallbackShareOf(config.maxConcurrent())
                : config.maxConcurrent();
        return active < slots && now >= pausedUntil;
    }

    private void pauseEnded() {
        dispatchAfter(() -> pauseWakeUpScheduled = false);
    }

    private void released(long pauseUntil, Waiter retry, SharedSlots.Lease lease) {
        if (lease != null) {
            lease.release();
        }
        List<Waiter> granted = new ArrayList<>();
        boolean ask;
        synchronized (this) {
            long now = ticker.read();
            active--;
            drainRate.record(now);
            if (retry != null) {
                pausedUntil = Math.max(pausedUntil, pauseUntil);
                queue.addFirst(retry);
            }
            ask = dispatch(now, granted);
        }
        if (retry != null) {
            retry.armTimeout(this);
        }
        afterLock(granted, ask);
    }

    /** @return whether the waiter was still queued (and so is now this caller's to settle) */
    private synchronized boolean cancelWaiting(Waiter waiter) {
        if (!queue.remove(waiter)) {
            return false;
        }
        cancelled++;
        return true;
    }

    private void timedOut(Waiter waiter) {
        long retryAfter;
        synchronized (this) {
            if (!queue.remove(waiter)) {
                return;
            }
            timedOut++;
            retryAfter = drainRate.secondsFor(queue.size() + 1, ticker.read(), queueTimeoutSeconds());
        }
        waiter.refuse(Rejection.QUEUE_TIMEOUT, retryAfter);
    }

    @Override
    public void reconfigure(LimiterConfig newConfig) {
        dispatchAfter(() -> config = newConfig);
    }

    @Override
    public void rejectQueued() {
        List<Waiter> refused;
        synchronized (this) {
            refused = new ArrayList<>(queue);
            queue.clear();
            rejected += refused.size();
        }
        refused.forEach(w -> w.refuse(Rejection.SHUTTING_DOWN, 1));
    }

    @Override
    public synchronized LimiterStats stats() {
        return new LimiterStats(config.maxConcurrent(), active, total, queue.size(), rejected, timedOut, cancelled,
                waits.quantile(0.5), waits.quantile(0.99), ticker.read() < pausedUntil);
    }

    /** One request's place in the queue, and later its slot. */
    private final class Waiter implements Ticket {
        private final EventLoop loop;
        private final SlotListener listener;
        private final long deadline;
        private final long queuedAt;
        private ScheduledFuture<?> timeout;
        /** Set under the queue's lock when granted; read on the loop. */
        private volatile OncePermit permit;

        Waiter(EventLoop loop, SlotListener listener, long deadline, long queuedAt) {
            this.loop = loop;
            this.listener = listener;
            this.deadline = deadline;
            this.queuedAt = queuedAt;
        }

        void armTimeout(SlotQueue owner) {
            long delay = deadline - ticker.read();
            loop.execute(() -> {
                if (permit == null && timeout == null) {
                    timeout = loop.schedule(() -> owner.timedOut(this), Math.max(0, delay), TimeUnit.NANOSECONDS);
                }
            });
        }

        /**
         * Told on the waiter's loop after that loop's next read of its sockets, not at once: a waiter whose client
         * left (its reset already here, not yet read, when the slot came) has then cancelled, and the slot goes
         * back without anything reaching the upstream. (A task the loop schedules for now runs after its next
         * pass over its sockets; one scheduled from another thread may run in the pass under way, hence the hop.)
         */
        void grant() {
            OncePermit granted = permit;
            long waited = ticker.read() - queuedAt;
            loop.execute(() -> loop.schedule(() -> {
                cancelTimeout();
                listener.onSlot(granted, waited);
            }, 0, TimeUnit.NANOSECONDS));
        }

        void refuse(Rejection rejection, long retryAfter) {
            loop.execute(() -> {
                cancelTimeout();
                listener.onRejected(rejection, retryAfter);
            });
        }

        @Override
        public void cancel() {
            if (cancelWaiting(this)) {
                loop.execute(this::cancelTimeout);
            }
        }

        /** On the waiter's loop: its outcome is decided, so the deadline no longer matters. */
        private void cancelTimeout() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }

        /** A slot that gives itself back once. */
        private final class OncePermit implements Permit {
            private final AtomicBoolean released = new AtomicBoolean();
            private final SharedSlots.Lease lease;

            OncePermit(SharedSlots.Lease lease) {
                this.lease = lease;
            }

            @Override
            public void release() {
                if (released.compareAndSet(false, true)) {
                    released(0, null, lease);
                }
            }

            @Override
            public Ticket releaseAndRetryFirst(long untilNanos, SlotListener retryListener) {
                Waiter retry = new Waiter(loop, retryListener, deadline, queuedAt);
                if (released.compareAndSet(false, true)) {
                    released(untilNanos, retry, lease);
                }
                return retry;
            }
        }
    }
}
