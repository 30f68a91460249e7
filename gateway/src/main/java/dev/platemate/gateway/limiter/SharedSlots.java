package dev.platemate.gateway.limiter;

import java.util.concurrent.CompletableFuture;

/**
 * Slot counts that hold across replicas (Redis): a slot is a lease that expires unless its replica keeps renewing
 * it, so the slots of a replica that dies come back. Thread-safe; never blocks.
 */
public interface SharedSlots {

    /** One slot in the shared count. Release it once. */
    interface Lease {
        void release();
    }

    /**
     * Tries to take one of {@code max} slots of {@code limiter}, counted across replicas. Completes with a lease,
     * with null when all are taken, or fails when the shared count cannot be reached.
     */
    CompletableFuture<Lease> tryAcquire(String limiter, int max);

    /**
     * The same for an adaptive limiter ({@code adaptive}): the count all replicas hold to, when one has been
     * published ({@link #publishLimit}), stands in for {@code max}, and is heard ({@link #takeSharedLimit}).
     */
    default CompletableFuture<Lease> tryAcquire(String limiter, int max, boolean adaptive) {
        return tryAcquire(limiter, max);
    }

    /**
     * An adaptive count another replica moved {@code limiter} to, newer than any this replica heard or published
     * before; each is told once. -1 when there is none new.
     */
    default int takeSharedLimit(String limiter) {
        return -1;
    }

    /** This replica moved {@code limiter}'s adaptive count to {@code limit}: every replica holds to it from now on. */
    default void publishLimit(String limiter, int limit) {
    }

    /** How many of {@code max} slots a replica uses on its own while the shared count cannot be reached. */
    int fallbackShareOf(int max);

    /** A slot was granted from this replica's share because the shared count did not answer. */
    void fellBack();
}
