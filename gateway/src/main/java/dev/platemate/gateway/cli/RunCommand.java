package dev.platemate.gateway.cli;

import dev.platemate.gateway.Gateway;
import dev.platemate.gateway.config.ConfigException;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.server.Transport;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** Serves until SIGTERM or SIGINT, then drains within server.shutdown_timeout; SIGHUP reloads the config. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Serve (the default command).")
final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOption config;

    /** SIGHUP reloads the config, as {@code POST /admin/reload} does; the outcome goes to the log. */
    private static void reloadOnHangup(Gateway gateway) {
        try {
            Signal.handle(new Signal("HUP"), signal -> gateway.reload());
        } catch (IllegalArgumentException e) {
            log.warn("SIGHUP is not available here; reload with POST /admin/reload");
        }
    }

    @Override
    public Integer call() throws Exception {
        GatewayConfig loaded;
        try {
            loaded = config.load(System.getenv());
        } catch (ConfigException e) {
            System.err.println("Invalid configuration (" + config.resolve(System.getenv()) + "):");
            e.errors().forEach(error -> System.err.println("  " + error));
            return 2;
        }
        Map<String, String> env = System.getenv();
        Gateway gateway = new Gateway(loaded, () -> config.load(env), Transport.detect());
        StopOnShutdown stopped = new StopOnShutdown("gateway-shutdown", gateway::stop);
        try {
            gateway.start();
        } catch (Exception e) {
            log.error("Gateway failed to start: {}", e.getMessage());
            return 1;
        }
        reloadOnHangup(gateway);
        stopped.await();
        return 0;
    }
}
