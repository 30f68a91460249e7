package dev.platemate.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gateway status}: reads {@code /health/performance} of a running gateway and prints it as a table marked
 * with the operations guide's levels. Exits 0 when every metric is normal, 1 on a warning or alert, 3 when the
 * gateway cannot be reached.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a running gateway's /health/performance as a table, with warning and alert levels.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "the gateway (default: http://127.0.0.1:8080)",
            defaultValue = "http://127.0.0.1:8080")
    String url;

    @Option(names = "--ai-upstreams", split = ",", paramLabel = "NAME",
            description = "upstreams whose latency is the AI latency (default: openai,deepseek)",
            defaultValue = "openai,deepseek")
    Set<String> aiUpstreams;

    @Override
    public Integer call() throws InterruptedException {
        String base = base(url);
        JsonNode report;
        try {
            HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(URI.create(base + "/health/performance"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            report = new ObjectMapper().readTree(response.body());
        } catch (IOException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("Cannot read " + base + "/health/performance: " + reason(e));
            return 3;
        }
        StatusReport status = new StatusReport(report, aiUpstreams);
        spec.commandLine().getOut().print(status.render(base));
        spec.commandLine().getOut().flush();
        return status.worst() == StatusReport.Level.OK ? 0 : 1;
    }

    /** The gateway's base URL: {@code http://} is assumed when no scheme is given, a trailing slash dropped. */
    static String base(String url) {
        String withScheme = url.contains("://") ? url : "http://" + url;
        return withScheme.endsWith("/") ? withScheme.substring(0, withScheme.length() - 1) : withScheme;
    }

    /** What went wrong, in words: a refused connection's exception often has no message of its own. */
    private static String reason(Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException) {
                return "nothing answers there (connection refused)";
            }
        }
        Throwable cause = e;
        while (cause.getMessage() == null && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
