package dev.platemate.gateway.stub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.testing.TestGateway;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code gateway stub-upstream --tpm}: the stand-in keeps a tokens-per-minute limit as OpenAI does, with its
 * headers; and a gateway with a {@code token_limit} in front of it, taught by those headers, refuses before the
 * provider has to.
 */
class StubTokensTest {

    private static final String ASK = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[]}";

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> ask(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ASK)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theStubRefusesPastItsTokensPerMinuteWithOpenAisHeaders() throws Exception {
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(1), 5,
                Duration.ofMillis(1), 30), Transport.detect())) {
            InetSocketAddress[] bound = stub.start("127.0.0.1", 0, 0);
            URI chat = URI.create("http://127.0.0.1:" + bound[1].getPort() + "/v1/chat/completions");
            HttpResponse<String> first = ask(chat);
            HttpResponse<String> second = ask(chat);
            HttpResponse<String> third = ask(chat);

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("15");
            assertThat(second.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("0");
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(third.body()).contains("\"type\":\"tokens\"").contains("Limit 30");
            assertThat(third.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("30");
            assertThat(third.headers().firstValue("x-ratelimit-reset-tokens")).hasValueSatisfying(reset ->
                    assertThat(reset).endsWith("s"));
            assertThat(Long.parseLong(third.headers().firstValue("retry-after").orElseThrow())).isPositive();
        }
    }

    @Test
    void aGatewayTaughtByTheProvidersHeadersRefusesBeforeTheProviderHasTo() throws Exception {
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(1), 50,
                Duration.ofMillis(1), 45), Transport.detect())) {
            InetSocketAddress[] bound = stub.start("127.0.0.1", 0, 0);
            try (TestGateway gateway = TestGateway.start("""
                    server:
                      listen: 127.0.0.1:0
                    upstreams:
                      openai:
                        url: http://127.0.0.1:%d
                        retries: 0
                        token_limit: {tokens: 1000, per: 1m}
                    routes:
                      - path: /openai/
                        upstream: openai
                        ai: true
                    """.formatted(bound[1].getPort()))) {
                int refusedByGateway = 0;
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> answer = ask(gateway.uri("/openai/v1/chat/completions"));
                    if (answer.statusCode() == 429) {
                        assertThat(answer.body()).contains("token_limit");
                        refusedByGateway++;
                    }
                }
                assertThat(stub.aiRejected()).as("the provider never had to refuse").isZero();
                // at most three of 15 fit in its 45 a minute; each is reserved at its estimate (20), so maybe fewer
                assertThat(refusedByGateway).isBetween(3, 5);
            }
        }
    }
}
