package dev.platemate.gateway.config;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A route's {@code fallback:}: the upstreams tried in order after its own, what makes them tried, and the body's
 * {@code model} rewritten per fallback upstream ({@code model_map}).
 */
public record FallbackConfig(List<String> upstreams, Map<String, Map<String, String>> modelMap, Set<Trigger> on) {

    /** What sends a request on to the next upstream, as {@code fallback_on} names it. */
    public enum Trigger {
        /** No connection (refused, reset, closed before the head, malformed), or the pool had none. */
        CONNECT("connect"),
        /** The upstream's breaker is open. */
        CIRCUIT_OPEN("circuit_open"),
        /** The upstream answered 500-599. */
        SERVER_ERROR("5xx"),
        /** No response head within response_timeout. */
        TIMEOUT("timeout"),
        /** The upstream answered 429, or its own limits (bucket, tokens, limiter queue) could not take it in time. */
        TOO_MANY_REQUESTS("429");

        private final String key;

        Trigger(String key) {
            this.key = key;
        }

        /** How config, metrics and logs name it. */
        public String key() {
            return key;
        }

        public static Optional<Trigger> of(String key) {
            for (Trigger trigger : values()) {
                if (trigger.key.equals(key)) {
                    return Optional.of(trigger);
                }
            }
            return Optional.empty();
        }
    }

    public FallbackConfig {
        upstreams = List.copyOf(upstreams);
        modelMap = Map.copyOf(modelMap);
        on = on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
    }

    /** The model {@code upstream} is asked for in place of {@code model}: the same when not mapped. */
    public String modelFor(String upstream, String model) {
        return modelMap.getOrDefault(upstream, Map.of()).getOrDefault(model, model);
    }
}
