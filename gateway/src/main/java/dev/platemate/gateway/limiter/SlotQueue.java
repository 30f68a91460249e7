package dev.platemate.gateway.limiter;

import dev.platemate.gateway.config.LimiterConfig;
import dev.platemate.gateway.measure.RecentSamples;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A limiter as a FIFO queue in front of a slot count. Every change happens under the queue's lock and decides a
 * waiter's fate by taking it out of the queue, so each waiter gets exactly one outcome; listeners are called after
 * the lock, on the waiter's own event loop. A permit releases once. A pause (an upstream 429) holds all dispatch
 * until it ends; the request that met it goes first afterwards. An adaptive count ({@link AdaptiveLimit}) answers
 * a 429 by shrinking (see {@link Permit#answered}), so the turn need not ask for a pause.
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
    private final ArrayDeque<SlotWaiter> queue = new ArrayDeque<>();
    private final DrainRate drainRate = new DrainRate();
    /** The most recent queue waits, in milliseconds, for p50 and p99. */
    private final RecentSamples waits = new RecentSamples(1024);
    private final SharedSlots shared;
    /** Requests waiting for their AI tokens before they join the queue: queued all the same. */
    private final AtomicInteger tokenWaiters = new AtomicInteger();
    /** Set under the lock by a reconfigure that gave the adaptive count a new start, to publish after it. */
    private final AtomicBoolean restarted = new AtomicBoolean();
    private volatile LimiterConfig config;
    /** The moving slot count, for {@code adaptive:}; null for a fixed one. */
    private AdaptiveLimit adaptive;
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
        this.adaptive = config.adaptive().map(bounds -> new AdaptiveLimit(bounds, config.maxConcurrent(), 0))
                .orElse(null);
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

    /** Ticker time now. */
    long now() {
        return ticker.read();
    }

    /** The fallback Retry-After, when nothing has drained lately. */
    private long queueTimeoutSeconds() {
        return Math.max(1, config.queueTimeout().toSeconds());
    }

    @Override
    public Ticket acquire(EventLoop loop, SlotListener listener, long deadlineNanos) {
        SlotWaiter waiter = new SlotWaiter(this, loop, listener, deadlineNanos, ticker.read());
        List<SlotWaiter> granted = new ArrayList<>(1);
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
        waiter.armTimeout();
        afterLock(granted, ask);
        return waiter;
    }

    /** Outside the lock: tells the granted waiters, and asks the shared count for a lease if dispatch wants one. */
    private void afterLock(List<SlotWaiter> granted, boolean ask) {
        granted.forEach(SlotWaiter::grant);
        if (ask) {
            int slots;
            boolean adapts;
            synchronized (this) {
                slots = slots();
                adapts = adaptive != null;
            }
            shared.tryAcquire(config.name(), slots, adapts).whenComplete(this::leaseAnswered);
        }
    }

    /** The shared count answered: a lease for the head of the queue, null when all are taken, or an error. */
    private void leaseAnswered(SharedSlots.Lease lease, Throwable error) {
        List<SlotWaiter> granted = new ArrayList<>(1);
        SharedSlots.Lease unused = null;
        boolean ask = false;
        int sharedLimit = shared.takeSharedLimit(config.name());
        synchronized (this) {
            asking = false;
            long now = ticker.read();
            if (adaptive != null && sharedLimit > 0) {
                adaptive.adopt(sharedLimit);   // another replica may have moved the count all of them share
            }
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
        List<SlotWaiter> granted = new ArrayList<>(1);
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
    private boolean dispatch(long now, List<SlotWaiter> granted) {
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
    private void grantHead(long now, List<SlotWaiter> granted, SharedSlots.Lease lease) {
        SlotWaiter waiter = queue.poll();
        active++;
        total++;
        waits.add((now - waiter.queuedAt) / 1_000_000L);
        waiter.permit = waiter.new OncePermit(lease, adaptive == null ? 0 : adaptive.epoch());
        granted.add(waiter);
        if (shared != null && lease == null) {
            shared.fellBack();
        }
    }

    private boolean canDispatch(long now) {
        int slots = shared != null && now < alone ? shared.fallbackShareOf(slots()) : slots();
        return active < slots && now >= pausedUntil;
    }

    /** Under the lock: the slot count now, fixed or adaptive. */
    private int slots() {
        return adaptive == null ? config.maxConcurrent() : adaptive.limit();
    }

    /**
     * The upstream's answer to a request granted at {@code epoch}: a 429 or 503 shrinks an adaptive count.
     * @return whether the count answers it (it shrank for it, or had already shrunk and is above its min)
     */
    boolean providerAnswered(int epoch, int status) {
        if (status != 429 && status != 503) {
            return false;
        }
        int moved;
        boolean answered;
        synchronized (this) {
            moved = adaptive != null && adaptive.overloaded(epoch, status) ? adaptive.limit() : -1;
            answered = moved > 0 || adaptive != null && adaptive.limit() > adaptive.min();
        }
        publish(moved);
        return answered;
    }

    /** Tells the other replicas the adaptive count moved to {@code limit} (-1: it did not). */
    private void publish(int limit) {
        if (limit > 0 && shared != null) {
            shared.publishLimit(config.name(), limit);
        }
    }

    private void pauseEnded() {
        dispatchAfter(() -> pauseWakeUpScheduled = false);
    }

    /** @param clean whether the request completed without the provider's 429 or 503 (an adaptive count grows) */
    void released(long pauseUntil, SlotWaiter retry, SharedSlots.Lease lease, boolean clean) {
        if (lease != null) {
            lease.release();
        }
        List<SlotWaiter> granted = new ArrayList<>();
        boolean ask;
        int moved = -1;
        synchronized (this) {
            long now = ticker.read();
            active--;
            drainRate.record(now);
            if (clean && adaptive != null && adaptive.completed(!queue.isEmpty())) {
                moved = adaptive.limit();
            }
            if (retry != null) {
                pausedUntil = Math.max(pausedUntil, pauseUntil);
                queue.addFirst(retry);
            }
            ask = dispatch(now, granted);
        }
        if (retry != null) {
            retry.armTimeout();
        }
        publish(moved);
        afterLock(granted, ask);
    }

    /** @return whether the waiter was still queued (and so is now this caller's to settle) */
    synchronized boolean cancelWaiting(SlotWaiter waiter) {
        if (!queue.remove(waiter)) {
            return false;
        }
        cancelled++;
        return true;
    }

    void timedOut(SlotWaiter waiter) {
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
        dispatchAfter(() -> {
            boolean sameCount = newConfig.adaptive().equals(config.adaptive())
                    && newConfig.maxConcurrent() == config.maxConcurrent();
            config = newConfig;
            if (!sameCount) {   // a new count to start from; an unchanged one keeps where it has moved to
                int epoch = adaptive == null ? 0 : adaptive.epoch() + 1;   // signals of grants before it do not count
                adaptive = newConfig.adaptive().map(bounds -> new AdaptiveLimit(bounds, newConfig.maxConcurrent(),
                        epoch)).orElse(null);
                restarted.set(adaptive != null);
            }
        });
        if (restarted.getAndSet(false)) {
            publish(newConfig.maxConcurrent());   // the new start is every replica's
        }
    }

    @Override
    public void waitingForTokens(boolean waiting) {
        tokenWaiters.addAndGet(waiting ? 1 : -1);
    }

    @Override
    public void rejectQueued() {
        List<SlotWaiter> refused;
        synchronized (this) {
            refused = new ArrayList<>(queue);
            queue.clear();
            rejected += refused.size();
        }
        refused.forEach(w -> w.refuse(Rejection.SHUTTING_DOWN, 1));
    }

    @Override
    public synchronized LimiterStats stats() {
        return new LimiterStats(slots(), active, total, queue.size() + tokenWaiters.get(), rejected, timedOut,
                cancelled, waits.quantile(0.5), waits.quantile(0.99), ticker.read() < pausedUntil, adaptiveStats());
    }

    private LimiterStats.Adaptive adaptiveStats() {
        if (adaptive == null) {
            return null;
        }
        AdaptiveLimit.Change last = adaptive.last();
        return last == null ? new LimiterStats.Adaptive(adaptive.min(), adaptive.max(), null, null, null, null)
                : new LimiterStats.Adaptive(adaptive.min(), adaptive.max(), last.at().toString(), last.from(),
                last.to(), last.reason());
    }
}
