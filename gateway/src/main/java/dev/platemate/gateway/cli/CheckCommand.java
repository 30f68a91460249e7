package dev.platemate.gateway.cli;

import dev.platemate.gateway.config.ConfigException;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.RouteConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Validates gateway.yml and prints the routes: exit 0 when valid, 2 when not. */
@Command(name = "check", mixinStandardHelpOptions = true, description = "Validate the config and print its routes.")
final class CheckCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        GatewayConfig loaded;
        try {
            loaded = config.load(System.getenv());
        } catch (ConfigException e) {
            System.err.println(config.resolve(System.getenv()) + " is invalid:");
            e.errors().forEach(error -> System.err.println("  " + error));
            return 2;
        }
        out.println(config.resolve(System.getenv()) + " is valid. Listening on " + loaded.server().host() + ":"
                + loaded.server().port() + ".");
        out.printf("%-20s %-12s %-40s %-6s %s%n", "ROUTE", "UPSTREAM", "TARGET", "STRIP", "LIMITER");
        for (RouteConfig route : loaded.routes()) {
            UpstreamConfig upstream = loaded.upstreams().get(route.upstream());
            out.printf("%-20s %-12s %-40s %-6s %s%n", route.path(), route.upstream(),
                    upstream.scheme() + "://" + upstream.authority() + upstream.basePath(),
                    route.stripPrefix() ? "yes" : "no", route.limiter().orElse("-"));
        }
        return 0;
    }
}
