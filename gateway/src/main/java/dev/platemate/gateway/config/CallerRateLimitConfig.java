package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * One entry of {@code rate_limits:}: {@code requests} per {@code per} for each caller, and {@code tokens} of AI
 * usage per {@code per} beside them.
 *
 * @param header   the header naming the caller; empty means the client address
 * @param requests requests per {@code per}; 0 when the entry limits only tokens
 * @param tokens   AI tokens per {@code per}; 0 when it limits only requests
 */
public record CallerRateLimitConfig(Optional<String> header, long requests, Duration per, long tokens) {
}
