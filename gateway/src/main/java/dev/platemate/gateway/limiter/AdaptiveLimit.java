package dev.platemate.gateway.limiter;

import dev.platemate.gateway.config.LimiterConfig;
import java.time.Instant;

/**
 * The slot count of an adaptive limiter, moved by AIMD within {@code [min, max]}: halved when the provider answers
 * 429 or 503, and one more after a window of completions without either while requests queue. A window is as many
 * completions as the count, but for the one step that met the provider's refusal last time: that step waits
 * {@link #PROBE} times as long, so a provider that holds still is probed past its limit rarely (about one request in
 * {@code PROBE} times its limit), and once that step passes a whole window clean the provider has moved, and
 * growth is quick again. A burst of 429s to requests granted under the same count halves it once: a signal counts
 * only if no decrease happened since its request was granted (its {@link #epoch()}). Not thread-safe: its
 * limiter's lock guards it.
 */
final class AdaptiveLimit {

    /** The last change: when, from what to what, and why. */
    record Change(Instant at, int from, int to, String reason) {
    }

    /** How many times longer the window is for the step to the count the provider last refused at. */
    static final int PROBE = 30;

    private final int min;
    private final int max;
    private int limit;
    private int epoch;
    private int cleanCompletions;
    /** The count the provider last refused at; 0 when none is known. */
    private int refusedAt;
    private Change last;

    /** @param epoch where the generations of grants start (past those of the count it replaces) */
    AdaptiveLimit(LimiterConfig.Adaptive bounds, int start, int epoch) {
        this.min = bounds.min();
        this.max = bounds.max();
        this.limit = Math.max(min, Math.min(max, start));
        this.epoch = epoch;
    }

    int limit() {
        return limit;
    }

    int min() {
        return min;
    }

    int max() {
        return max;
    }

    /** The last change, or null before any. */
    Change last() {
        return last;
    }

    /** How many decreases happened so far: a permit granted now carries it. */
    int epoch() {
        return epoch;
    }

    /**
     * The provider answered {@code status} (429 or 503) to a request granted at {@code grantedEpoch}.
     * @return whether the count moved
     */
    boolean overloaded(int grantedEpoch, int status) {
        if (grantedEpoch != epoch) {
            return false;   // granted under a larger count, already halved for
        }
        epoch++;
        cleanCompletions = 0;
        refusedAt = limit;
        return change(Math.max(min, limit / 2), "provider " + status);
    }

    /**
     * Another replica moved the count all share to {@code shared}: this one holds to it. A lower one counts as a
     * decrease here too, so this replica's signals from before it do not halve it again.
     */
    void adopt(int shared) {
        int to = Math.max(min, Math.min(max, shared));
        if (to < limit) {
            epoch++;
            cleanCompletions = 0;
        }
        change(to, "another replica moved the shared count");
    }

    /**
     * A request completed without a 429 or 503; {@code queued}: others are waiting.
     * @return whether the count moved
     */
    boolean completed(boolean queued) {
        if (!queued) {
            return false;   // the count is not what holds anyone back: no evidence it could be higher
        }
        if (limit >= max) {
            return false;
        }
        boolean probing = limit + 1 == refusedAt;
        int window = probing ? limit * PROBE : limit;
        if (++cleanCompletions >= window) {
            cleanCompletions = 0;
            if (probing) {
                refusedAt = 0;   // it took the count that was refused before: the provider has moved
            }
            return change(limit + 1, window + " completions without 429 or 503 while queued");
        }
        return false;
    }

    private boolean change(int to, String reason) {
        if (to == limit) {
            return false;
        }
        last = new Change(Instant.now(), limit, to, reason);
        limit = to;
        return true;
    }
}
