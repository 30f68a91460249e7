package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * One entry of {@code rate_limits:}: {@code requests} per {@code per} for each caller.
 *
 * @param header the header naming the caller; empty means the client address
 */
public record CallerRateLimitConfig(Optional<String> header, long requests, Duration per) {
}
