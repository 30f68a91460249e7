package dev.platemate.gateway.pool;

/** No connection could be had: max_pending waiters already, or waiting took longer than connect_timeout. */
public final class PoolExhaustedException extends Exception {

    public PoolExhaustedException(String message) {
        super(message, null, false, false);
    }
}
