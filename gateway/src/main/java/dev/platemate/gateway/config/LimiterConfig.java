package dev.platemate.gateway.config;

import java.time.Duration;

/** One entry of {@code limiters:}: concurrent slots and the bounded queue in front of them. */
public record LimiterConfig(String name, int maxConcurrent, int maxQueue, Duration queueTimeout, boolean pauseOn429) {
}
