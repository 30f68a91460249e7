package dev.platemate.gateway.config;

import java.util.Map;
import java.util.Optional;

/**
 * The top-level {@code ai:}: what tokens cost, per model, in USD per million.
 */
public record AiConfig(Map<String, ModelPrice> prices) {

    public static final AiConfig NONE = new AiConfig(Map.of());

    /** USD per million prompt tokens, per million of them served from the provider's cache, per million completed. */
    public record ModelPrice(double prompt, double cached, double completion) {
    }

    public AiConfig {
        prices = Map.copyOf(prices);
    }

    /** The price of {@code model}, if the table has it. */
    public Optional<ModelPrice> price(String model) {
        return Optional.ofNullable(prices.get(model));
    }
}
