package dev.platemate.gateway.config;

import java.time.Duration;

/** The {@code cache:} section: the memory bound, the largest entry, and how often expired entries are swept. */
public record CacheConfig(DataSize maxSize, DataSize maxEntrySize, Duration sweepInterval) {
}
