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

    /**
     * The price of {@code model}: its own, else that of the longest name in the table it begins with followed by
     * a dash (a provider answers {@code gpt-4o-mini-2024-07-18} for {@code gpt-4o-mini}).
     */
    public Optional<ModelPrice> price(String model) {
        ModelPrice exact = prices.get(model);
        if (exact != null) {
            return Optional.of(exact);
        }
        String best = null;
        for (String name : prices.keySet()) {
            if (model.startsWith(name + "-") && (best == null || name.length() > best.length())) {
                best = name;
            }
        }
        return Optional.ofNullable(best == null ? null : prices.get(best));
    }
}
