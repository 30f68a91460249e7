package dev.platemate.gateway.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Binds the AI parts of the config: a route's {@code ai:} and the top-level {@code ai.prices}. */
final class AiConfigBinder {

    private AiConfigBinder() {
    }

    /** {@code ai: true}, {@code ai: false} (or absent), or a mapping of options. */
    static Optional<AiRouteConfig> route(ConfigNode route) {
        if (!route.has("ai")) {
            return Optional.empty();
        }
        if (!route.isMapping("ai")) {
            return route.bool("ai", false) ? Optional.of(AiRouteConfig.DEFAULTS) : Optional.empty();
        }
        ConfigNode n = route.child("ai");
        AiRouteConfig ai = new AiRouteConfig(n.bool("inject_stream_usage", AiRouteConfig.DEFAULTS.injectStreamUsage()));
        n.rejectUnknownKeys();
        return Optional.of(ai);
    }

    static AiConfig ai(ConfigNode root) {
        if (!root.has("ai")) {
            return AiConfig.NONE;
        }
        ConfigNode n = root.child("ai");
        ConfigNode pricesNode = n.child("prices");
        Map<String, AiConfig.ModelPrice> prices = new LinkedHashMap<>();
        for (String model : pricesNode.keys()) {
            ConfigNode price = pricesNode.child(model);
            double prompt = price.nonNegative("prompt", 0);
            prices.put(model, new AiConfig.ModelPrice(prompt, price.nonNegative("cached", prompt),
                    price.nonNegative("completion", 0)));
            price.rejectUnknownKeys();
        }
        n.rejectUnknownKeys();
        return new AiConfig(prices);
    }
}
