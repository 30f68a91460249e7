package dev.platemate.gateway.config;

/** The {@code redis:} section; an empty url means a single replica with local state only. */
public record RedisConfig(String url) {

    public boolean enabled() {
        return !url.isEmpty();
    }
}
