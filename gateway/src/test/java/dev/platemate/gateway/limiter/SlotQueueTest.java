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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The slot queue on a real event loop, without sockets; a fake ticker where measured time matters. */
class SlotQueueTest {

    private final EventLoop loop = new DefaultEventLoop();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker fakeTicker = now::get;

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private static LimiterConfig config(int maxConcurrent, int maxQueue, Duration queueTimeout) {
        return new LimiterConfig("ai", maxConcurrent, maxQueue, queueTimeout, true);
    }

    /** Records how one wait ended. */
    private static final class Outcome implements SlotListener {
        final CompletableFuture<Permit> granted = new CompletableFuture<>();
        final CompletableFuture<Rejection> refused = new CompletableFuture<>();
        volatile long waitedNanos;
        volatile long retryAfter;

        @Override
        public void onSlot(Permit permit, long waited) {
            waitedNanos = waited;
            granted.complete(permit);
        }

        @Override
        public void onRejected(Rejection rejection, long retryAfterSeconds) {
            retryAfter = retryAfterSeconds;
            refused.complete(rejection);
        }

        Permit permit() throws Exception {
            return granted.get(5, TimeUnit.SECONDS);
        }
    }

    private List<Outcome> acquire(Limiter limiter, int n, long deadline) {
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outcome outcome = new Outcome();
            limiter.acquire(loop, outcome, deadline);
            outcomes.add(outcome);
        }
        return outcomes;
    }

    @Test
    void grantsUpToMaxConcurrentThenServesTheQueueInOrder() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(2, 10, Duration.ofMinutes(1)), Ticker.system(), loop);
        List<Outcome> outcomes = acquire(limiter, 5, Long.MAX_VALUE);

        Permit first = outcomes.get(0).permit();
        outcomes.get(1).permit();
        assertThat(limiter.stats().active()).isEqualTo(2);
        assertThat(limiter.stats().queued()).isEqualTo(3);
        assertThat(outcomes.get(2).granted).isNotDone();

        first.release();
        outcomes.get(2).permit();
        assertThat(outcomes.get(3).granted).isNotDone();
        assertThat(limiter.stats().queued()).isEqualTo(2);
        assertThat(limiter.stats().total()).isEqualTo(3);
    }

    @Test
    void aPermitReleasesOnlyOnce() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofMinutes(1)), Ticker.system(), loop);
        List<Outcome> outcomes = acquire(limiter, 3, Long.MAX_VALUE);
        Permit permit = outcomes.get(0).permit();

        permit.release();
        permit.release();

        outcomes.get(1).permit();
        assertThat(limiter.stats().active()).isEqualTo(1);
        assertThat(outcomes.get(2).granted).isNotDone();
    }

    @Test
    void aFullQueueRefusesWithRetryAfter() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 1, Duration.ofSeconds(30)), Ticker.system(), loop);
        List<Outcome> outcomes = acquire(limiter, 3, Long.MAX_VALUE);

        assertThat(outcomes.get(2).refused.get(5, TimeUnit.SECONDS)).isEqualTo(Rejection.QUEUE_FULL);
        assertThat(outcomes.get(2).retryAfter).isBetween(1L, 30L);
        assertThat(limiter.stats().rejected()).isEqualTo(1);
        assertThat(outcomes.get(1).granted).isNotDone();
    }

    @Test
    void waitersAreRefusedAtTheirDeadline() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), Ticker.system(), loop);
        Outcome holder = acquire(limiter, 1, Long.MAX_VALUE).get(0);
        holder.permit();
        Outcome late = acquire(limiter, 1, System.nanoTime() + Duration.ofMillis(200).toNanos()).get(0);

        assertThat(late.refused.get(5, TimeUnit.SECONDS)).isEqualTo(Rejection.QUEUE_TIMEOUT);
        assertThat(late.retryAfter).isGreaterThanOrEqualTo(1);
        assertThat(limiter.stats().timedOut()).isEqualTo(1);
        assertThat(limiter.stats().queued()).isZero();
    }

    @Test
    void aCancelledWaiterLeavesAtOnceAndNeverGetsASlot() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), Ticker.system(), loop);
        Permit held = acquire(limiter, 1, Long.MAX_VALUE).get(0).permit();
        Outcome leaving = new Outcome();
        Ticket ticket = limiter.acquire(loop, leaving, Long.MAX_VALUE);
        Outcome next = acquire(limiter, 1, Long.MAX_VALUE).get(0);

        ticket.cancel();
        assertThat(limiter.stats().queued()).isEqualTo(1);
        assertThat(limiter.stats().cancelled()).isEqualTo(1);
        held.release();

        next.permit();
        assertThat(leaving.granted).isNotDone();
        assertThat(leaving.refused).isNotDone();
    }

    @Test
    void theLimitChangesAtRunTimeWithoutDroppingAnyone() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), Ticker.system(), loop);
        List<Outcome> outcomes = acquire(limiter, 4, Long.MAX_VALUE);
        Permit first = outcomes.get(0).permit();

        limiter.reconfigure(config(3, 10, Duration.ofSeconds(30)));
        outcomes.get(1).permit();
        outcomes.get(2).permit();
        assertThat(outcomes.get(3).granted).isNotDone();

        limiter.reconfigure(config(1, 10, Duration.ofSeconds(30)));
        first.release();
        assertThat(limiter.stats().active()).isEqualTo(2);
        assertThat(outcomes.get(3).granted).isNotDone(); // still over the new limit
        assertThat(limiter.stats().queued()).isEqualTo(1);
    }

    @Test
    void a429PausesDispatchAndTheRetryGoesFirst() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), Ticker.system(), loop);
        Permit refusedByProvider = acquire(limiter, 1, Long.MAX_VALUE).get(0).permit();
        Outcome waiting = acquire(limiter, 1, Long.MAX_VALUE).get(0);

        Outcome retry = new Outcome();
        long pausedAt = System.nanoTime();
        refusedByProvider.releaseAndRetryFirst(pausedAt + Duration.ofMillis(300).toNanos(), retry);

        assertThat(limiter.stats().paused()).isTrue();
        retry.permit();
        assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(waiting.granted).isNotDone();
    }

    @Test
    void shutdownRefusesEveryoneQueued() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), Ticker.system(), loop);
        List<Outcome> outcomes = acquire(limiter, 3, Long.MAX_VALUE);
        outcomes.get(0).permit();

        limiter.rejectQueued();

        assertThat(outcomes.get(1).refused.get(5, TimeUnit.SECONDS)).isEqualTo(Rejection.SHUTTING_DOWN);
        assertThat(outcomes.get(2).refused.get(5, TimeUnit.SECONDS)).isEqualTo(Rejection.SHUTTING_DOWN);
        assertThat(limiter.stats().queued()).isZero();
    }

    @Test
    void waitTimesAreMeasuredByTheTicker() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 10, Duration.ofSeconds(30)), fakeTicker, loop);
        List<Outcome> outcomes = acquire(limiter, 2, Long.MAX_VALUE);
        Permit first = outcomes.get(0).permit();

        now.addAndGet(Duration.ofMillis(250).toNanos());
        first.release();

        outcomes.get(1).permit();
        assertThat(Duration.ofNanos(outcomes.get(1).waitedNanos)).isEqualTo(Duration.ofMillis(250));
        assertThat(limiter.stats().waitP99Millis()).isEqualTo(250);
        assertThat(limiter.stats().waitP50Millis()).isZero();
    }

    @Test
    void retryAfterFollowsTheDrainRate() throws Exception {
        Limiter limiter = Limiters.slotQueue(config(1, 2, Duration.ofSeconds(60)), fakeTicker, loop);
        // ten releases at once: over the second observed (the least counted), ten per second
        for (int i = 0; i < 10; i++) {
            acquire(limiter, 1, Long.MAX_VALUE).get(0).permit().release();
        }
        List<Outcome> outcomes = acquire(limiter, 4, Long.MAX_VALUE);
        outcomes.get(0).permit();
        assertThat(outcomes.get(3).refused.get(5, TimeUnit.SECONDS)).isEqualTo(Rejection.QUEUE_FULL);
        assertThat(outcomes.get(3).retryAfter).isEqualTo(1); // two ahead of it, plus itself, at ten per second
        await().until(() -> limiter.stats().queued() == 2);
    }
}
