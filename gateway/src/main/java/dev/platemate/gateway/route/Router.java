package dev.platemate.gateway.route;

import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.RouteConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Finds the route for a normalised path: the longest matching prefix wins. Immutable; safe on any thread. */
public final class Router {

    private final Route[] byLongestPrefix;

    public Router(GatewayConfig config) {
        List<Route> routes = new ArrayList<>();
        for (RouteConfig route : config.routes()) {
            routes.add(new Route(route, config.upstreams().get(route.upstream()).basePath()));
        }
        routes.sort(Comparator.comparingInt((Route r) -> r.prefix().length()).reversed());
        this.byLongestPrefix = routes.toArray(Route[]::new);
    }

    /** The route for {@code path}, or null when none matches. {@code /openai} matches the prefix {@code /openai/}. */
    public Route match(String path) {
        for (Route route : byLongestPrefix) {
            String prefix = route.prefix();
            if (path.startsWith(prefix)
                    || (path.length() == prefix.length() - 1 && prefix.startsWith(path))) {
                return route;
            }
        }
        return null;
    }

    public List<Route> routes() {
        return List.of(byLongestPrefix);
    }
}
