package dev.platemate.gateway.cli;

import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubControls;
import dev.platemate.gateway.stub.StubUpstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gateway stub-upstream}: the stand-in upstream alone, for docker compose and demos. Runs until stopped. */
@Command(name = "stub-upstream", mixinStandardHelpOptions = true,
        description = "Serve a stand-in AI and food-search upstream (HTTPS, self-signed) until stopped.")
final class StubUpstreamCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(StubUpstreamCommand.class);

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "9443", description = "HTTPS port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--plain-port", defaultValue = "9080",
            description = "plain HTTP port, -1 for none (default: ${DEFAULT-VALUE})")
    int plainPort;

    @Option(names = "--ai-latency", defaultValue = "300ms", converter = DurationConverter.class,
            description = "time a chat completion takes (default: ${DEFAULT-VALUE})")
    Duration aiLatency;

    @Option(names = "--ai-max-concurrent", defaultValue = "5",
            description = "chat completions at once before answering 429 (default: ${DEFAULT-VALUE})")
    int aiMaxConcurrent;

    @Option(names = "--tpm", defaultValue = "0",
            description = "tokens of chat completions a minute before answering 429 as OpenAI does, 0 for no limit "
                    + "(default: ${DEFAULT-VALUE})")
    long tokensPerMinute;

    @Option(names = "--fail", defaultValue = "none",
            description = "how chat completions fail: none, refuse (a reset), 5xx (503) or stall (never answered); "
                    + "while it runs: POST /stub/fail?mode=... and POST /stub/limit?max_concurrent=N "
                    + "(default: ${DEFAULT-VALUE})")
    String fail;

    @Option(names = "--oauth-client-id", defaultValue = "${env:STUB_OAUTH_CLIENT_ID:-}",
            description = "with --oauth-client-secret: POST /connect/token issues Bearer tokens to this client, and "
                    + "the food search wants one (default: $STUB_OAUTH_CLIENT_ID, else none)")
    String oauthClientId;

    @Option(names = "--oauth-client-secret", defaultValue = "${env:STUB_OAUTH_CLIENT_SECRET:-}",
            description = "the client's secret (default: $STUB_OAUTH_CLIENT_SECRET)")
    String oauthClientSecret;

    @Option(names = "--token-lifetime", defaultValue = "24h", converter = DurationConverter.class,
            description = "how long its tokens live (default: ${DEFAULT-VALUE})")
    Duration tokenLifetime;

    @Option(names = "--food-latency", defaultValue = "20ms", converter = DurationConverter.class,
            description = "time a food search takes (default: ${DEFAULT-VALUE})")
    Duration foodLatency;

    @Override
    public Integer call() throws Exception {
        StubControls.Failure failure = StubControls.Failure.of(fail).orElseThrow(() ->
                new CommandLine.ParameterException(new CommandLine(this), "--fail: '" + fail
                        + "' (expected: none, refuse, 5xx or stall)"));
        StubUpstream stub = new StubUpstream(new StubUpstream.Settings(aiLatency, aiMaxConcurrent, foodLatency,
                tokensPerMinute, failure, new StubUpstream.OAuthClient(
                Objects.toString(oauthClientId, ""), Objects.toString(oauthClientSecret, ""), tokenLifetime)),
                Transport.detect());
        StopOnShutdown stopped = new StopOnShutdown("stub-shutdown", stub::close);
        InetSocketAddress[] bound = stub.start(host, port, plainPort);
        log.info("Stub upstream listening on https://{}:{}{} (chat completions take {}, 429 above {} at once)",
                host, bound[0].getPort(), bound[1] == null ? "" : " and http://" + host + ":" + bound[1].getPort(),
                aiLatency.toMillis() + "ms", aiMaxConcurrent);
        stopped.await();
        return 0;
    }
}
