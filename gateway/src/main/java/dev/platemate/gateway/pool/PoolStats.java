package dev.platemate.gateway.pool;

/** A snapshot of one upstream's connections, all event loops together. */
public record PoolStats(int active, int idle, int pending, long opened, long closed, long connectFailures) {
}
