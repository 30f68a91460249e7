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

    /** How many of {@code max} slots a replica uses on its own while the shared count cannot be reached. */
    int fallbackShareOf(int max);

    /** A slot was granted from this replica's share because the shared count did not answer. */
    void fellBack();
}
