package dev.platemate.gateway.redis;

/**
 * Whether Redis is reachable now, how many commands failed, and how many times a replica served from local state
 * instead (for /health/performance and the metrics).
 */
public record RedisStats(boolean up, long errors, long fallbacks) {
}
