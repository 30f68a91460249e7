package dev.platemate.gateway.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.platemate.gateway.server.Transport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The stand-in's failure modes and its admin path, which change how it answers while it runs. */
class StubControlsTest {

    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> ask(URI base, Duration timeout) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).timeout(timeout)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ASK)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> control(URI base, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void itFailsAsToldAndChangesItsLimitAndFailureWhileItRuns() throws Exception {
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(1), 5,
                Duration.ofMillis(1), 0, StubControls.Failure.ERROR_5XX), Transport.detect())) {
            URI base = URI.create("http://127.0.0.1:" + stub.start("127.0.0.1", 0, 0)[1].getPort());
            Duration patient = Duration.ofSeconds(10);

            HttpResponse<String> failing = ask(base, patient);
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(failing.body()).contains("server_error");

            assertThat(control(base, "/stub/fail?mode=none").body())
                    .isEqualTo("{\"max_concurrent\":5,\"fail\":\"none\",\"ai_served\":0,\"ai_rejected\":0}");
            assertThat(ask(base, patient).statusCode()).isEqualTo(200);

            assertThat(control(base, "/stub/limit?max_concurrent=0").statusCode()).isEqualTo(200);
            assertThat(ask(base, patient).statusCode()).as("nothing at once is allowed").isEqualTo(429);
            control(base, "/stub/limit?max_concurrent=5");

            control(base, "/stub/fail?mode=refuse");
            assertThatThrownBy(() -> ask(base, patient)).isInstanceOf(IOException.class);

            control(base, "/stub/fail?mode=stall");
            assertThatThrownBy(() -> ask(base, Duration.ofMillis(300))).isInstanceOf(HttpTimeoutException.class);

            assertThat(control(base, "/stub/fail?mode=sometimes").statusCode()).isEqualTo(400);
            assertThat(control(base, "/stub/limit?max_concurrent=-3").statusCode()).isEqualTo(400);
            assertThat(stub.controls().failure()).isEqualTo(StubControls.Failure.STALL);
            assertThat(stub.aiServed()).isEqualTo(1);
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/stub")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).contains("\"ai_served\":1,\"ai_rejected\":1");
        }
    }
}
