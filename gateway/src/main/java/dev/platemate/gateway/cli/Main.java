package dev.platemate.gateway.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import io.netty.util.ResourceLeakDetector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar gateway.jar [run|check] ...}; {@code run} is the default. */
@Command(name = "gateway", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Sidecar API gateway: pooled, queued, cached and rate-limited access to upstream APIs.",
        subcommands = {RunCommand.class, CheckCommand.class, StatusCommand.class, StubUpstreamCommand.class,
                BenchCommand.class, DemoCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        // Netty's default leak detection tracks one buffer in 128 with a stack trace, about a tenth of the CPU of a
        // proxied request here. The tests run with paranoid detection; the jar runs without, unless
        // -Dio.netty.leakDetection.level asks for it.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        CommandLine cli = new CommandLine(new Main());
        if (args.length == 0 || args[0].startsWith("-") && !isTopLevelOption(args[0])) {
            String[] withRun = new String[args.length + 1];
            withRun[0] = "run";
            System.arraycopy(args, 0, withRun, 1, args.length);
            args = withRun;
        }
        int code = cli.execute(args);
        if (code != 0 || !(args[0].equals("run") || args[0].equals("stub-upstream"))) {
            System.exit(code);
        }
        // a clean run returns only after the shutdown hook drained; the JVM is already exiting
    }

    private static boolean isTopLevelOption(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Reads the version Maven wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties props = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/gateway-version.properties")) {
                if (in != null) {
                    props.load(in);
                }
            }
            return new String[] {"gateway " + props.getProperty("version", "unknown")};
        }
    }
}
