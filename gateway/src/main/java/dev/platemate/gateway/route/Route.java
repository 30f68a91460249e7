package dev.platemate.gateway.route;

import dev.platemate.gateway.config.RouteConfig;

/** A configured route, ready to rewrite paths for its upstream. */
public record Route(RouteConfig config, String upstreamBasePath) {

    public String prefix() {
        return config.path();
    }

    public String upstream() {
        return config.upstream();
    }

    /**
     * The request target sent upstream: the base path, then the path (less the prefix when it is stripped), then the
     * query. {@code path} has already matched this route.
     */
    public String upstreamTarget(String path, String query) {
        return upstreamTarget(upstreamBasePath, path, query);
    }

    /** The same, for an upstream with {@code basePath} (one the route falls back to). */
    public String upstreamTarget(String basePath, String path, String query) {
        String rest = path;
        if (config.stripPrefix()) {
            // keep the '/' that ends the prefix: /openai/v1/x -> /v1/x, and /openai -> /
            rest = path.length() >= prefix().length() ? path.substring(prefix().length() - 1) : "/";
        }
        StringBuilder target = new StringBuilder(basePath.length() + rest.length() + 16);
        target.append(basePath).append(rest);
        if (query != null) {
            target.append('?').append(query);
        }
        return target.toString();
    }
}
