package dev.platemate.gateway.limiter;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's place in a {@link SlotQueue}, and later its slot ({@link OncePermit}). Its outcome is told on its
 * own event loop; its deadline is armed there too. Its queue decides its fate under the queue's lock.
 */
final class SlotWaiter implements Ticket {

    private final SlotQueue owner;
    private final EventLoop loop;
    private final SlotListener listener;
    private final long deadline;
    final long queuedAt;
    private ScheduledFuture<?> timeout;
    /** Set under the queue's lock when granted; read on the loop. */
    volatile OncePermit permit;

    SlotWaiter(SlotQueue owner, EventLoop loop, SlotListener listener, long deadline, long queuedAt) {
        this.owner = owner;
        this.loop = loop;
        this.listener = listener;
        this.deadline = deadline;
        this.queuedAt = queuedAt;
    }

    void armTimeout() {
        long delay = deadline - owner.now();
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
        long waited = owner.now() - queuedAt;
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
        if (owner.cancelWaiting(this)) {
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
    final class OncePermit implements Permit {
        private final AtomicBoolean released = new AtomicBoolean();
        private final SharedSlots.Lease lease;
        private final int epoch;
        private volatile boolean overloaded;
        private volatile boolean answered;

        OncePermit(SharedSlots.Lease lease, int epoch) {
            this.lease = lease;
            this.epoch = epoch;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                owner.released(0, null, lease, answered && !overloaded);   // clean: answered, not 429 or 503
            }
        }

        @Override
        public boolean answered(int status) {
            answered = true;
            overloaded |= status == 429 || status == 503;
            return owner.providerAnswered(epoch, status);
        }

        @Override
        public Ticket releaseAndRetryFirst(long untilNanos, SlotListener retryListener) {
            SlotWaiter retry = new SlotWaiter(owner, loop, retryListener, deadline, queuedAt);
            if (released.compareAndSet(false, true)) {
                owner.released(untilNanos, retry, lease, false);
            }
            return retry;
        }
    }
}
