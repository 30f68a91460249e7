package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * One entry of {@code limiters:}: concurrent slots and the bounded queue in front of them.
 *
 * @param maxConcurrent the slots; with {@code adaptive}, where the count starts
 * @param adaptive      the bounds the slot count moves within (AIMD on the provider's 429 and 503), if it moves
 */
public record LimiterConfig(String name, int maxConcurrent, int maxQueue, Duration queueTimeout, boolean pauseOn429,
                            Optional<Adaptive> adaptive) {

    /** {@code adaptive: {min, max}}: 1 &lt;= min &lt;= max_concurrent &lt;= max. */
    public record Adaptive(int min, int max) {
    }

    /** A fixed slot count. */
    public LimiterConfig(String name, int maxConcurrent, int maxQueue, Duration queueTimeout, boolean pauseOn429) {
        this(name, maxConcurrent, maxQueue, queueTimeout, pauseOn429, Optional.empty());
    }
}
