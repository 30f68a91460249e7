package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.LimiterConfig;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AIMD slot counts: the rule on its own, then inside a slot queue on a real event loop. */
class AdaptiveLimitTest {

    private final EventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() throws Exception {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void aBurstOf429sToOneGenerationHalvesOnceAndNeverBelowMin() {
        AdaptiveLimit limit = new AdaptiveLimit(new LimiterConfig.Adaptive(3, 32), 16, 0);
        int granted = limit.epoch();

        limit.overloaded(granted, 429);
        limit.overloaded(granted, 429);
        limit.overloaded(granted, 503);
        assertThat(limit.limit()).as("granted under 16: one halving for all of them").isEqualTo(8);
        assertThat(limit.last().reason()).isEqualTo("provider 429");

        limit.overloaded(limit.epoch(), 503);
        limit.overloaded(limit.epoch(), 429);
        limit.overloaded(limit.epoch(), 429);
        assertThat(limit.limit()).isEqualTo(3);
        assertThat(limit.last().from()).isEqualTo(4);
    }

    @Test
    void itGrowsByOneAfterAWindowOfCleanCompletionsOnlyWhileRequestsQueue() {
        AdaptiveLimit limit = new AdaptiveLimit(new LimiterConfig.Adaptive(1, 5), 4, 0);
        for (int i = 0; i < 100; i++) {
            limit.completed(false);
        }
        assertThat(limit.limit()).as("no one waits: no reason to grow").isEqualTo(4);

        for (int i = 0; i < 3; i++) {
            limit.completed(true);
        }
        assertThat(limit.limit()).isEqualTo(4);
        limit.completed(true);
        assertThat(limit.limit()).isEqualTo(5);
        assertThat(limit.last().reason()).contains("4 completions");
        for (int i = 0; i < 50; i++) {
            limit.completed(true);
        }
        assertThat(limit.limit()).as("never above max").isEqualTo(5);
    }

    @Test
    void theStepThatWasRefusedLastIsProbedSlowlyAndOnceItPassesGrowthIsQuickAgain() {
        AdaptiveLimit limit = new AdaptiveLimit(new LimiterConfig.Adaptive(1, 32), 8, 0);
        limit.overloaded(limit.epoch(), 429);
        assertThat(limit.limit()).isEqualTo(4);
        completeQueued(limit, 4 + 5 + 6);
        assertThat(limit.limit()).as("quick back to just under where it was refused").isEqualTo(7);

        completeQueued(limit, 7 * AdaptiveLimit.PROBE - 1);
        assertThat(limit.limit()).isEqualTo(7);
        completeQueued(limit, 1);
        assertThat(limit.limit()).isEqualTo(8);
        assertThat(limit.last().reason()).startsWith((7 * AdaptiveLimit.PROBE) + " completions");

        completeQueued(limit, 8);
        assertThat(limit.limit()).as("past the old refusal: the provider moved, growth is quick").isEqualTo(9);
    }

    private static void completeQueued(AdaptiveLimit limit, int completions) {
        for (int i = 0; i < completions; i++) {
            limit.completed(true);
        }
    }

    @Test
    void theStartIsMaxConcurrentClampedIntoTheBounds() {
        assertThat(new AdaptiveLimit(new LimiterConfig.Adaptive(2, 8), 20, 0).limit()).isEqualTo(8);
        assertThat(new AdaptiveLimit(new LimiterConfig.Adaptive(2, 8), 1, 0).limit()).isEqualTo(2);
    }

    @Test
    void aSlotThatNeverGotAnAnswerIsNoEvidenceForMore() throws Exception {
        Limiter limiter = Limiters.slotQueue(new LimiterConfig("ai", 2, 50, Duration.ofMinutes(1), false,
                Optional.of(new LimiterConfig.Adaptive(1, 8))), Ticker.system(), loop);
        List<Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Waiter waiter = new Waiter();
            limiter.acquire(loop, waiter, Long.MAX_VALUE);
            waiters.add(waiter);
        }
        Awaitility.await().until(() -> {   // a provider down: every slot given back without an answer
            waiters.stream().filter(w -> w.granted.isDone()).forEach(w -> w.granted.join().release());
            return waiters.stream().allMatch(w -> w.granted.isDone());
        });
        assertThat(limiter.stats().maxConcurrent()).isEqualTo(2);
        waiters.forEach(w -> w.granted.join().release());
    }

    /** Records the slot one waiter got. */
    private static final class Waiter implements SlotListener {
        final CompletableFuture<Permit> granted = new CompletableFuture<>();
        final CompletableFuture<Rejection> refused = new CompletableFuture<>();

        @Override
        public void onSlot(Permit permit, long waited) {
            granted.complete(permit);
        }

        @Override
        public void onRejected(Rejection rejection, long retryAfterSeconds) {
            refused.complete(rejection);
        }
    }

    @Test
    void aShrinkWithAFullQueueLosesNoOneAndTheLimitFollowsInStatsAndHealth() throws Exception {
        Limiter limiter = Limiters.slotQueue(new LimiterConfig("ai", 4, 20, Duration.ofMinutes(1), false,
                Optional.of(new LimiterConfig.Adaptive(1, 8))), Ticker.system(), loop);
        List<Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Waiter waiter = new Waiter();
            limiter.acquire(loop, waiter, Long.MAX_VALUE);
            waiters.add(waiter);
        }
        Awaitility.await().until(() -> waiters.stream().filter(w -> w.granted.isDone()).count() == 4);
        for (int i = 0; i < 4; i++) {
            waiters.get(i).granted.join().answered(429);
        }
        assertThat(limiter.stats().maxConcurrent()).as("halved once for the four").isEqualTo(2);
        assertThat(limiter.stats().adaptive().reason()).isEqualTo("provider 429");
        assertThat(limiter.stats().adaptive().changedTo()).isEqualTo(2);
        for (int i = 0; i < 4; i++) {
            waiters.get(i).granted.join().release();
        }
        Awaitility.await().until(() -> limiter.stats().active() == 2);
        assertThat(limiter.stats().queued()).isEqualTo(14);

        Awaitility.await().until(() -> {   // each release is a clean completion while others queue: it grows back
            waiters.stream().filter(w -> w.granted.isDone()).forEach(w -> {
                w.granted.join().answered(200);
                w.granted.join().release();
            });
            return waiters.stream().allMatch(w -> w.granted.isDone());
        });
        assertThat(waiters).noneMatch(w -> w.refused.isDone());
        assertThat(limiter.stats().rejected() + limiter.stats().timedOut()).isZero();
        assertThat(limiter.stats().maxConcurrent()).as("clean completions while queued grew it").isGreaterThan(2);
        waiters.forEach(w -> w.granted.join().release());
        Awaitility.await().until(() -> limiter.stats().active() == 0);
    }
}
