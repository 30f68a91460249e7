package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.config.LimiterConfig;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The slot queue when its slots are counted with other replicas: a shared count in memory stands in for Redis
 * (the real one is exercised by SharedStateTest), so what other replicas hold and whether the count answers can
 * be set exactly.
 */
class SharedSlotQueueTest {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    /** Slots held across replicas: {@code elsewhere} by others, the rest by leases of this queue. */
    private static final class Count implements SharedSlots {
        final AtomicInteger elsewhere = new AtomicInteger();
        final AtomicInteger leased = new AtomicInteger();
        final AtomicBoolean unreachable = new AtomicBoolean();
        final AtomicInteger fallbacks = new AtomicInteger();

        @Override
        public CompletableFuture<Lease> tryAcquire(String limiter, int max) {
            if (unreachable.get()) {
                return CompletableFuture.failedFuture(new IllegalStateException("Redis unreachable"));
            }
            synchronized (this) {
                if (elsewhere.get() + leased.get() >= max) {
                    return CompletableFuture.completedFuture(null);
                }
                leased.incrementAndGet();
            }
            AtomicBoolean released = new AtomicBoolean();
            return CompletableFuture.supplyAsync(() -> () -> {
                assertThat(released.compareAndSet(false, true)).as("a lease is released once").isTrue();
                leased.decrementAndGet();
            });
        }

        @Override
        public int fallbackShareOf(int max) {
            return Math.max(1, max / 2);
        }

        @Override
        public void fellBack() {
            fallbacks.incrementAndGet();
        }
    }

    private static final class Outcome implements SlotListener {
        final CompletableFuture<Permit> granted = new CompletableFuture<>();
        final int seq;
        final List<Integer> order;

        Outcome(int seq, List<Integer> order) {
            this.seq = seq;
            this.order = order;
        }

        @Override
        public void onSlot(Permit permit, long waited) {
            synchronized (order) {
                order.add(seq);
            }
            granted.complete(permit);
        }

        @Override
        public void onRejected(Rejection rejection, long retryAfterSeconds) {
            granted.completeExceptionally(new IllegalStateException(rejection.name()));
        }

        Permit permit() throws Exception {
            return granted.get(5, TimeUnit.SECONDS);
        }
    }

    private List<Outcome> acquire(Limiter limiter, int n, List<Integer> order) {
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outcome outcome = new Outcome(i, order);
            limiter.acquire(loop, outcome, Long.MAX_VALUE);
            outcomes.add(outcome);
        }
        return outcomes;
    }

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Limiter queue(Count count, int maxConcurrent) {
        return new SlotQueue(new LimiterConfig("ai", maxConcurrent, 100, Duration.ofMinutes(1), true),
                now::get, loop, count);
    }

    @Test
    void slotsTakenByOtherReplicasAreNotGivenHereAndComeBackInOrderWhenFreed() throws Exception {
        Count count = new Count();
        count.elsewhere.set(2);
        Limiter limiter = queue(count, 3);
        List<Integer> order = new ArrayList<>();
        List<Outcome> outcomes = acquire(limiter, 4, order);

        Permit first = outcomes.get(0).permit();
        assertThat(count.leased.get()).isEqualTo(1);
        assertThat(outcomes.get(1).granted).isNotDone();
        assertThat(limiter.stats().queued()).isEqualTo(3);

        count.elsewhere.set(0); // the other replicas finish: the queue finds out at its next poll
        outcomes.get(1).permit();
        outcomes.get(2).permit();
        assertThat(outcomes.get(3).granted).isNotDone();
        assertThat(count.leased.get()).isEqualTo(3);

        first.release();
        outcomes.get(3).permit().release();
        outcomes.get(1).permit().release();
        outcomes.get(2).permit().release();
        await().until(() -> count.leased.get() == 0 && limiter.stats().active() == 0);
        assertThat(order).containsExactly(0, 1, 2, 3);
        assertThat(count.fallbacks.get()).isZero();
    }

    @Test
    void whenTheSharedCountDoesNotAnswerTheQueueGrantsItsShareAlone() throws Exception {
        Count count = new Count();
        count.unreachable.set(true);
        Limiter limiter = queue(count, 4);
        List<Integer> order = new ArrayList<>();
        List<Outcome> outcomes = acquire(limiter, 3, order);

        Permit first = outcomes.get(0).permit();
        outcomes.get(1).permit().release();
        first.release();
        outcomes.get(2).permit().release();
        assertThat(limiter.stats().active()).isZero();
        assertThat(count.fallbacks.get()).isEqualTo(3);

        // with two held alone, a third waits: the share of 4 is 2
        List<Outcome> more = acquire(limiter, 3, order);
        more.get(0).permit();
        more.get(1).permit();
        assertThat(limiter.stats().active()).isEqualTo(2);
        assertThat(more.get(2).granted).isNotDone();
        assertThat(count.leased.get()).isZero();

        // the count answers again: once the fallback period is over, the next slot is a lease
        count.unreachable.set(false);
        now.addAndGet(SlotQueue.FALLBACK);
        more.get(0).permit().release();
        more.get(2).permit();
        assertThat(count.leased.get()).isEqualTo(1);
        assertThat(count.fallbacks.get()).isEqualTo(5);
        more.get(1).permit().release();
        more.get(2).permit().release();
        await().until(() -> count.leased.get() == 0);
    }
}
