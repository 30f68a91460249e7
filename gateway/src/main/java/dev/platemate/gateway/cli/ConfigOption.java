package dev.platemate.gateway.cli;

import dev.platemate.gateway.config.ConfigException;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code -c} option shared by commands, with the GATEWAY_CONFIG and GATEWAY_PORT overrides. */
final class ConfigOption {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "gateway.yml to use (default: $GATEWAY_CONFIG, else ./gateway.yml)")
    Path file;

    Path resolve(Map<String, String> env) {
        if (file != null) {
            return file;
        }
        String fromEnv = env.get("GATEWAY_CONFIG");
        return Path.of(fromEnv == null || fromEnv.isBlank() ? "gateway.yml" : fromEnv);
    }

    GatewayConfig load(Map<String, String> env) throws ConfigException {
        GatewayConfig config = new ConfigLoader(env).load(resolve(env));
        String port = env.get("GATEWAY_PORT");
        if (port != null && !port.isBlank()) {
            try {
                int p = Integer.parseInt(port.trim());
                if (p < 0 || p > 65535) {
                    throw new NumberFormatException();
                }
                return config.withPort(p);
            } catch (NumberFormatException e) {
                throw new ConfigException(java.util.List.of("GATEWAY_PORT: '" + port
                        + "' (expected: a port number from 0 to 65535)"));
            }
        }
        return config;
    }
}
