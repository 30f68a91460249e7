package dev.platemate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code gateway status}: the performance report as a table, marked with the guide's levels. */
class StatusCommandTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    private record Result(int code, String out, String err) {
    }

    private static Result status(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "status";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = cli.execute(all);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void aQuietGatewayIsAllOk() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 5"));
        gateway.get("/api/json?size=10");

        Result result = status("--url", "127.0.0.1:" + gateway.port(), "--ai-upstreams", "test"); // no scheme

        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("overall ok").containsPattern("AI queue +0 +0-5 +ok")
                .containsPattern("connections +1 ").containsPattern("(?m)^test +0 +1 +0 +closed")
                .contains("limiter ai: 0/5 slots busy, 0 queued");
        assertThat(result.out()).doesNotContain("WARNING").doesNotContain("ALERT");
    }

    @Test
    void aQueueOverTenIsAWarning() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.withLimiter(TestGateway.config(fixture.upstream().url()),
                "max_concurrent: 1, max_queue: 50, queue_timeout: 20s"));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            held.add(gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri("/api/sse?events=2")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 12);

        Result result = status("--url", "http://127.0.0.1:" + gateway.port());

        assertThat(result.code()).isEqualTo(1);
        assertThat(result.out()).containsPattern("AI queue +12 +0-5 +WARNING").contains("overall WARNING");
        fixture.upstream().releaseLastEvent();
        for (CompletableFuture<HttpResponse<String>> response : held) {
            assertThat(response.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anUnreachableGatewayExitsThree() {
        Result result = status("--url", "http://127.0.0.1:1");

        assertThat(result.code()).isEqualTo(3);
        assertThat(result.err()).contains("Cannot read http://127.0.0.1:1/health/performance")
                .contains("connection refused");
    }
}
