package dev.platemate.gateway.cli;

import ch.qos.logback.classic.Level;
import dev.platemate.gateway.bench.QuickStats;
import dev.platemate.gateway.bench.SelfBench;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gateway bench}: the performance self-test, before (direct) and after (through the gateway), on this
 * machine alone. Progress goes to stderr, the table (or {@code --json}) to stdout.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the backend's workloads direct and through the gateway, against a built-in stand-in "
                + "provider; print the Quick Stats.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--ai-latency", defaultValue = "300ms", converter = DurationConverter.class,
            description = "time a chat completion takes (default: ${DEFAULT-VALUE})")
    Duration aiLatency;

    @Option(names = "--ai-limit", defaultValue = "5",
            description = "chat completions the provider takes at once, and the gateway's max_concurrent "
                    + "(default: ${DEFAULT-VALUE})")
    int aiLimit;

    @Option(names = "--users", defaultValue = "100", description = "users in the large test (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--throughput-for", defaultValue = "5s", converter = DurationConverter.class,
            description = "how long the throughput test runs (default: ${DEFAULT-VALUE})")
    Duration throughputFor;

    @Option(names = "--json", description = "print the results as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        quietLogs();
        SelfBench.Options options = new SelfBench.Options(aiLatency, aiLimit, users, throughputFor);
        var err = spec.commandLine().getErr();
        err.println("gateway bench: stand-in provider and gateway on this machine; " + users + " users, "
                + aiLimit + " AI slots, " + aiLatency.toMillis() + " ms per completion");
        QuickStats stats = new QuickStats(new SelfBench(options, line -> {
            err.println(line);
            err.flush();
        }).run(), options);
        spec.commandLine().getOut().println(json ? stats.json() : stats.table());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The embedded gateway's logs and access lines would bury the table. */
    private static void quietLogs() {
        Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(Level.WARN);
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("access")).setLevel(Level.OFF);
        }
    }
}
