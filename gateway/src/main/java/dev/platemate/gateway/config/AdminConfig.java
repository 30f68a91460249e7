package dev.platemate.gateway.config;

/** The {@code admin:} section. An empty token leaves /metrics and /admin/* open. */
public record AdminConfig(String token) {

    public boolean tokenRequired() {
        return !token.isEmpty();
    }

    @Override
    public String toString() {
        return "AdminConfig[token=" + (token.isEmpty() ? "" : "***") + "]";
    }
}
