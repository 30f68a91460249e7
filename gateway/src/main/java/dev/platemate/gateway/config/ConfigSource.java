package dev.platemate.gateway.config;

/** Where a reload reads the config from: usually gateway.yml again, with the same environment overrides. */
@FunctionalInterface
public interface ConfigSource {

    GatewayConfig load() throws ConfigException;
}
